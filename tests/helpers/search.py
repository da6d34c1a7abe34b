"""Catalog search for tests: the one engine over an in-process or embedded index of a store."""

from __future__ import annotations

from pathlib import Path

from trustcart.commerce.catalog_search import IndexedCatalogSearch, index_catalog
from trustcart.search.index import CatalogIndex
from trustcart.search.memory import InMemoryCatalogIndex
from trustcart.store.db import Database


def memory_index(db: Database) -> CatalogIndex:
    """An in-process index holding every product in ``db`` (lexical only: no embedder)."""
    index = InMemoryCatalogIndex()
    index_catalog(db, index)
    return index


def embedded_index(db: Database, folder: Path) -> CatalogIndex:
    """The embedded back end (tantivy + vectors, packaged model) holding every product."""
    from trustcart.search.embedded import EmbeddedCatalogIndex
    from trustcart.search.embedding import default_embedder

    index = EmbeddedCatalogIndex(folder, default_embedder())
    index_catalog(db, index)
    return index


def catalog_search(db: Database) -> IndexedCatalogSearch:
    """What a merchant service in a test searches with: the engine over ``memory_index``."""
    return IndexedCatalogSearch(db, memory_index(db))
