"""The embedded back end's lexical side: a tantivy index, BM25 over the analyzed terms.

One tantivy document per live offer, found by its integer ``key`` (a fast field, so a hit's
key is read without loading the document). The terms are the ones ``analysis`` produces
(``IndexedOffer.index_terms`` for documents, ``query_terms`` for queries), split on whitespace
here and indexed with frequencies only: this module never analyses text itself. Many offers
share a title (one product, many merchants), so each (title, text) is analysed once, in a cache
that starts over past ``TERMS_CACHE`` entries.

Filters are exact query clauses that do not score: price (with its currency), each prefix of
the category path (so a category prefix is one term), merchants as a term set, stock, and
delivery zones. Each clause costs tantivy about a pass over the documents it matches, so a
clause that matches every document is left out: the currency, when the index holds offers in
that one currency only (the caller says so; an unknown currency matches nothing and the caller
answers without searching). A query with text ranks by BM25; one without text but with a
category browses it cheapest first; any other query has no lexical list.
"""

from __future__ import annotations

from pathlib import Path

import tantivy

from trustcart.search.analysis import query_terms
from trustcart.search.documents import IndexedOffer
from trustcart.search.query import SearchQuery

TERMS_CACHE = 500_000  # entries (≈ 150 MB at most) before the analysis cache starts over


def category_prefixes(category: str) -> list[str]:
    """Every prefix of a category path, the path included.

    >>> category_prefixes("drinks/tea/milk-tea")
    ['drinks', 'drinks/tea', 'drinks/tea/milk-tea']
    """
    parts = category.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def lexical_schema() -> tantivy.Schema:
    """The tantivy schema: key, terms (BM25), price, stock, zone, category, merchant, currency."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("key", indexed=True, fast=True)
    builder.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("price", indexed=True, fast=True)
    builder.add_integer_field("stock", indexed=True, fast=True)
    builder.add_integer_field("zone", indexed=True, fast=True)
    for name in ("category", "merchant", "currency"):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    return builder.build()


class LexicalIndex:
    """The tantivy index in ``path``; one writer, opened on the first change, closed at commit."""

    def __init__(self, path: Path, *, writer_heap: int = 256_000_000, threads: int = 0) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self._schema = lexical_schema()
        self._index = tantivy.Index(self._schema, path=str(path), reuse=True)
        self._writer: tantivy.IndexWriter | None = None
        self._writer_heap = writer_heap
        self._threads = threads
        self._terms: dict[tuple[str, str], str] = {}  # (title, text) -> BM25 terms
        self._prefixes: dict[str, list[str]] = {}

    # -- writing ---------------------------------------------------------------------------

    def _writing(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._index.writer(
                heap_size=self._writer_heap, num_threads=self._threads
            )
        return self._writer

    def start_batch(self) -> None:
        """Open the writer for a batch of upserts; the terms cache starts over when full."""
        self._writing()
        if len(self._terms) > TERMS_CACHE:
            self._terms.clear()

    def add(self, offer: IndexedOffer, key: int, zone: int) -> None:
        """Index the offer under ``key`` in delivery zone ``zone`` (visible after commit)."""
        self._writing().add_document(self._document(offer, key, zone))

    def delete(self, key: int) -> None:
        """Remove the document of ``key`` (visible after commit)."""
        self._writing().delete_documents_by_term("key", key)

    def commit(self) -> None:
        """Commit the writer's changes, if any, and make them visible to searches."""
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        self._index.reload()

    def rollback(self) -> None:
        """Drop the changes since the last commit."""
        if self._writer is not None:
            self._writer.rollback()
            self._writer = None

    def _document(self, offer: IndexedOffer, key: int, zone: int) -> tantivy.Document:
        # Many offers share a title (one product, many merchants): analyse each text once.
        terms = self._terms.get((offer.title, offer.text))
        if terms is None:
            terms = self._terms[(offer.title, offer.text)] = offer.index_terms
        categories = self._prefixes.get(offer.category)
        if categories is None:
            categories = self._prefixes[offer.category] = category_prefixes(offer.category)
        return tantivy.Document(
            key=key,
            terms=terms,
            price=offer.price.minor,
            stock=offer.stock,
            zone=zone,
            category=categories,
            merchant=offer.merchant_id,
            currency=offer.price.currency,
        )

    # -- searching -------------------------------------------------------------------------

    @property
    def schema(self) -> tantivy.Schema:
        return self._schema

    def searcher(self) -> tantivy.Searcher:
        """A searcher over the committed documents."""
        return self._index.searcher()

    def filter_clauses(
        self,
        query: SearchQuery,
        zones: dict[int, float] | None,
        *,
        only_currency: str | None = None,
    ) -> list[tantivy.Query] | None:
        """Tantivy clauses for the filters; ``None`` when nothing can match. ``only_currency``
        is the one currency of every indexed offer, if there is one (its clause is a no-op)."""
        schema = self._schema
        clauses: list[tantivy.Query] = []
        if query.max_price is not None:
            clauses.append(
                tantivy.Query.range_query(
                    schema, "price", tantivy.FieldType.Integer, upper_bound=query.max_price.minor
                )
            )
            if query.max_price.currency != only_currency:
                clauses.append(
                    tantivy.Query.term_query(schema, "currency", query.max_price.currency, "basic")
                )
        if query.category_prefix:
            clauses.append(
                tantivy.Query.term_query(schema, "category", query.category_prefix, "basic")
            )
        if query.merchant_ids:
            clauses.append(
                tantivy.Query.term_set_query(schema, "merchant", list(query.merchant_ids))
            )
        if query.in_stock_only:
            clauses.append(
                tantivy.Query.range_query(schema, "stock", tantivy.FieldType.Integer, lower_bound=1)
            )
        if zones is not None:
            if not zones:
                return None
            clauses.append(tantivy.Query.term_set_query(schema, "zone", sorted(zones)))
        return clauses

    def keys(self, query: SearchQuery, clauses: list[tantivy.Query], depth: int) -> list[int]:
        """Keys of the best ``depth`` offers passing ``clauses``, BM25 first (see module doc)."""
        terms = query_terms(query.text)
        searcher = self._index.searcher()
        filters = [(tantivy.Occur.Must, tantivy.Query.const_score_query(c, 0.0)) for c in clauses]
        if terms:
            text = tantivy.Query.boolean_query(
                [
                    (
                        tantivy.Occur.Should,
                        tantivy.Query.term_query(self._schema, "terms", t, "freq"),
                    )
                    for t in terms
                ]
            )
            result = searcher.search(
                tantivy.Query.boolean_query([(tantivy.Occur.Must, text), *filters]),
                depth,
                count=False,
            )
        elif query.category_prefix:  # browsing a category: cheapest first
            result = searcher.search(
                tantivy.Query.boolean_query(filters),
                depth,
                count=False,
                order_by_field="price",
                order=tantivy.Order.Asc,
            )
        else:
            return []
        addresses = [address for _, address in result.hits]
        return [int(k) for k in searcher.fast_field_values("key", addresses) if k is not None]
