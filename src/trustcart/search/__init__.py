"""Catalog search: analysis, segmentation, typo tolerance, embeddings and relevance."""
