"""Catalog search: hybrid lexical + semantic retrieval with exact filters, one entry point.

query         ``SearchQuery`` (text, exact filters, limit) and ``SearchMode``
documents     ``IndexedOffer``, the document type of the index, and the reference filter
              semantics every back end agrees with (``offer_passes``, ``reachable_zones``)
analysis      the one analyzer for documents and queries (Latin words, Chinese runs)
embedding     the sentence-embedding model that ships in the package, loaded offline
vector_index  IVF-Flat vectors in numpy (k-means lists), exact filtered scans
fusion        reciprocal rank fusion and facet counts
index         the ``CatalogIndex`` protocol every back end implements
embedded      the embedded back end on local disk (tantivy BM25 + vectors + columns)
milvus        the Milvus back end (Milvus Lite, a Milvus server or a cluster)
memory        an in-process back end for tests and tools
ranking       coverage of query terms: the relevance results are ordered by
engine        ``SearchEngine``: the one entry point (index pool -> source-of-truth check -> rank)

This package knows nothing of merchants or products: ``commerce.catalog_search`` maps them
onto ``IndexedOffer`` and gives the engine the store as its source of truth. It imports only
``trustcart.core``.
"""
