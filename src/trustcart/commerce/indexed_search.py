"""``CatalogSearch`` over a ``CatalogIndex``: the index finds, the database tells the truth.

The index (embedded or Milvus) retrieves a candidate pool by hybrid search with exact filters;
this adapter then loads those products and merchants from the transactional store, so a hit
always shows the current price and stock, and ranks them the way the ACT intent-context
service expects: share of query terms matched (title counts fully, other fields half), then
price. Semantic-only candidates (no query term matched) come after every lexical match, ranked
by their fused score. ``index_catalog`` (re)builds an index from the database; the demo calls
it at seed time, the importer after each import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from trustcart.commerce.catalog import Merchant
from trustcart.commerce.repository import load_merchants, product_from_row
from trustcart.commerce.search import MAX_LIMIT, SearchHit, SearchQuery, _score, tokenize
from trustcart.commerce.search_index import (
    CatalogIndex,
    IndexedOffer,
    SearchMode,
    offer_from_product,
)
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database

INDEX_BATCH = 5_000


def catalog_index_path(home: Path) -> Path:
    return home / "index" / "catalog"


def open_embedded_index(home: Path) -> CatalogIndex:
    import shutil

    from trustcart.commerce.embedding import default_embedder
    from trustcart.commerce.search_embedded import EmbeddedCatalogIndex
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


class IndexedCatalogSearch:
    """``CatalogSearch`` for the merchant service, backed by any ``CatalogIndex``."""

    def __init__(self, db: Database, index: CatalogIndex) -> None:
        self._db = db
        self._index = index

    def search(self, query: SearchQuery) -> list[SearchHit]:
        tokens = tokenize(query.text)
        if not tokens and not query.category_prefix:
            return []
        # Widen the pool so the price tie-break sees every full match the index ranked close.
        pool = replace(query, limit=min(MAX_LIMIT, max(5 * query.limit, 100)))
        result = self._index.search(pool, SearchMode.HYBRID)
        if not result.hits:
            return []
        if result.corrected_text is not None:  # rank by the words the index searched for
            tokens = tokenize(result.corrected_text)
        fused = {h.product_id: (h.score, h.distance_km) for h in result.hits}
        good = {h.product_id: h.good_match for h in result.hits}
        with self._db.transaction() as session:
            merchants: dict[str, Merchant] = {m.merchant_id: m for m in load_merchants(session)}
            rows = session.scalars(
                select(ProductRow).where(ProductRow.product_id.in_(list(fused)))
            ).all()
            ranked = []
            for row in rows:
                coverage = (
                    _score(tokens, f"{row.title} {row.title_zh}".lower(), row.search_text)
                    if tokens
                    else 1.0
                )
                product = product_from_row(row)
                if query.in_stock_only and not product.in_stock():
                    continue  # stock moved since indexing: the database wins
                if query.max_price is not None and product.price > query.max_price:
                    continue
                ranked.append((coverage, fused[row.product_id][0], product))
        ranked.sort(
            key=lambda r: (-r[0], -r[1] if r[0] == 0 else 0, r[2].price.minor, r[2].product_id)
        )
        return [
            SearchHit(
                product,
                merchants[product.merchant_id],
                coverage,
                fused[product.product_id][1],
                good[product.product_id],
            )
            for coverage, _fused, product in ranked[: query.limit]
        ]
