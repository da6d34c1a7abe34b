"""The merchant domain's side of catalog search: products as search documents, the store as truth.

``trustcart.search`` knows nothing of merchants or products; this module maps them onto its
``IndexedOffer`` documents (``offer_from_product``), keeps an index in step with the store
(``index_catalog`` after seeding and after each import, ``ensure_indexed`` on start), and gives
the search engine the store as its source of truth (``StoreDocuments``): a hit always shows the
current price and stock. ``catalog_search`` builds the one ``SearchEngine`` that the merchant
service's intent-context query and ``trustcart search`` both call, so they rank alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select

from trustcart.commerce.catalog import Merchant, Product
from trustcart.commerce.repository import load_merchants, product_from_row
from trustcart.search.documents import DeliveryZone, IndexedOffer
from trustcart.search.engine import SearchEngine
from trustcart.search.index import CatalogIndex
from trustcart.search.query import SearchMode, SearchQuery
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database

INDEX_BATCH = 5_000


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One product found for a query, as the store has it now."""

    product: Product
    merchant: Merchant
    score: float
    distance_km: float | None
    good_match: bool | None = None  # the index's relevance judgement (search.relevance)


class CatalogSearch(Protocol):
    """What the merchant service searches with (``IndexedCatalogSearch`` below)."""

    def search(self, query: SearchQuery) -> list[SearchHit]: ...


def offer_from_product(product: Product, merchant: Merchant) -> IndexedOffer:
    """The search document of one product: every searchable word, its filters, its zone."""
    text = " ".join(
        part
        for part in (
            product.title,
            product.title_zh,
            product.brand,
            product.category.replace("/", " ").replace("-", " "),
            *product.attributes.values(),
        )
        if part
    )
    return IndexedOffer(
        product.product_id,
        product.merchant_id,
        product.title,
        text,
        product.category,
        product.price,
        product.stock,
        DeliveryZone(merchant.location, merchant.delivery_radius_km),
        title_zh=product.title_zh,
    )


def catalog_index_path(home: Path) -> Path:
    return home / "index" / "catalog"


def open_embedded_index(home: Path) -> CatalogIndex:
    """The embedded index under ``home`` with the packaged embedding model."""
    import shutil

    from trustcart.search.embedded import EmbeddedCatalogIndex
    from trustcart.search.embedding import default_embedder
    from trustcart.search.errors import StaleIndexError

    path = catalog_index_path(home)
    try:
        return EmbeddedCatalogIndex(path, default_embedder())
    except StaleIndexError:  # built by an older analyzer: ensure_indexed rebuilds it
        shutil.rmtree(path)
        return EmbeddedCatalogIndex(path, default_embedder())


def _offers(db: Database, product_ids: list[str] | None) -> Iterator[list[IndexedOffer]]:
    with db.transaction() as session:
        merchants = {m.merchant_id: m for m in load_merchants(session)}
        statement = select(ProductRow).order_by(ProductRow.product_id)
        if product_ids is not None:
            statement = statement.where(ProductRow.product_id.in_(product_ids))
        batch: list[IndexedOffer] = []
        for row in session.scalars(statement.execution_options(yield_per=INDEX_BATCH)):
            batch.append(offer_from_product(product_from_row(row), merchants[row.merchant_id]))
            if len(batch) >= INDEX_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def index_catalog(
    db: Database,
    index: CatalogIndex,
    product_ids: list[str] | None = None,
    progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """Upsert products (all, or those named) from the database into ``index``; commit."""
    count = 0
    for batch in _offers(db, product_ids):
        index.upsert(batch)
        count += len(batch)
        progress(len(batch))
    index.commit()
    return count


def ensure_indexed(db: Database, index: CatalogIndex) -> None:
    """Index the whole catalog when the index does not hold as many offers as the database."""
    with db.transaction() as session:
        products = session.scalar(select(func.count()).select_from(ProductRow)) or 0
    if index.count() != products:
        index_catalog(db, index)


class StoreDocuments:
    """``LiveDocuments`` over the transactional store: the current product and its merchant."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def current(
        self, product_ids: Sequence[str]
    ) -> Mapping[str, tuple[IndexedOffer, tuple[Product, Merchant]]]:
        with self._db.transaction() as session:
            merchants = {m.merchant_id: m for m in load_merchants(session)}
            rows = session.scalars(
                select(ProductRow).where(ProductRow.product_id.in_(list(product_ids)))
            ).all()
            found = {}
            for row in rows:
                product, merchant = product_from_row(row), merchants[row.merchant_id]
                found[product.product_id] = (
                    offer_from_product(product, merchant),
                    (product, merchant),
                )
        return found


CatalogEngine = SearchEngine[tuple[Product, Merchant]]


def catalog_search(db: Database, index: CatalogIndex) -> CatalogEngine:
    """The search engine over ``index`` with the store as its source of truth."""
    return SearchEngine(index, StoreDocuments(db))


class IndexedCatalogSearch:
    """What the merchant service searches with: the catalog engine, hits as catalog objects."""

    def __init__(self, db: Database, index: CatalogIndex) -> None:
        self._engine = catalog_search(db, index)

    def search(self, query: SearchQuery) -> list[SearchHit]:
        result = self._engine.search(query, SearchMode.HYBRID)
        return [
            SearchHit(hit.item[0], hit.item[1], hit.score, hit.distance_km, hit.good_match)
            for hit in result.hits
        ]
