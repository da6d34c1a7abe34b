"""Catalog search: a small ``CatalogSearch`` protocol and a first, honest SQL implementation.

``SqlCatalogSearch`` tokenizes the query (Latin words; Chinese runs as a whole and as character
bigrams, since Chinese has no spaces), keeps products whose precomputed ``search_text`` contains
at least one token (SQL ``LIKE``), applies the filters exactly (price, category prefix,
merchant, stock, distance), and ranks by the share of query tokens matched, then by price.
Distances are haversine distances to the merchant's location; a product is within reach only if
it is within the asked radius *and* within its merchant's delivery radius.

A later engine (BM25 + vectors) implements the same protocol; callers never see which is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import ColumnElement, or_, select

from trustcart.commerce.catalog import GeoPoint, Merchant, Product
from trustcart.commerce.repository import load_merchants, product_from_row
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database

MAX_LIMIT = 200
_LATIN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "with",
        "me",
        "my",
        "i",
        "want",
        "order",
        "buy",
        "please",
        "some",
        "under",
        "below",
        "cny",
        "yuan",
        "rmb",
        "less",
        "than",
        "cheap",
        "cheapest",
    }
)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    max_price: Money | None = None
    category_prefix: str | None = None
    merchant_ids: tuple[str, ...] = ()
    in_stock_only: bool = True
    location: GeoPoint | None = None
    radius_km: Decimal | None = None
    limit: int = 20

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or len(self.text) > 500:
            raise ValidationError("query text must be a string of at most 500 characters")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be within 1..{MAX_LIMIT}")
        if self.radius_km is not None and (self.location is None or self.radius_km <= 0):
            raise ValidationError("radius_km needs a location and must be positive")


@dataclass(frozen=True, slots=True)
class SearchHit:
    product: Product
    merchant: Merchant
    score: float
    distance_km: float | None
    good_match: bool | None = None  # the index's relevance judgement (trustcart.search.relevance)


class CatalogSearch(Protocol):
    def search(self, query: SearchQuery) -> list[SearchHit]: ...


def tokenize(text: str) -> list[str]:
    """Query tokens.

    >>> tokenize("Pearl Milk Teas")
    ['pearl', 'milk', 'tea']
    >>> tokenize("珍珠奶茶")
    ['珍珠奶茶', '珍珠', '珠奶', '奶茶']
    """
    lowered = text.lower()
    tokens: list[str] = []
    for word in _LATIN.findall(lowered):
        if word in _STOP_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        # Crude plural folding on the query side only: "teas" finds "tea" as a word prefix.
        plural = len(word) > 3 and word.endswith("s") and not word.endswith("ss")
        tokens.append(word[:-1] if plural else word)
    for run in _CJK.findall(lowered):
        tokens.append(run)
        if len(run) > 2:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(tokens))  # de-duplicated, order kept


def _like_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(token: str, text: str) -> bool:
    if _CJK.fullmatch(token):
        return token in text
    # Latin tokens match at a word start: "shirt" finds "shirts" but "xl" does not find "xxl".
    return re.search(r"(?<![a-z0-9])" + re.escape(token), text) is not None


def _score(tokens: list[str], title_text: str, search_text: str) -> float:
    """Share of tokens matched; a match in the title counts fully, elsewhere (brand, category,
    attributes) half, so "pearl milk tea" ranks Pearl Milk Tea above a milk tea at Pearl House."""
    if not tokens:
        return 0.0
    total = 0.0
    for token in tokens:
        if _matches(token, title_text):
            total += 1.0
        elif _matches(token, search_text):
            total += 0.5
    return total / len(tokens)


class SqlCatalogSearch:
    """``CatalogSearch`` over the relational catalog; fine for tens of thousands of products."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def search(self, query: SearchQuery) -> list[SearchHit]:
        tokens = tokenize(query.text)
        if not tokens and not query.category_prefix:
            return []
        with self._db.transaction() as session:
            merchants = {m.merchant_id: m for m in load_merchants(session)}
            distances = self._reachable(merchants, query)
            if not distances:
                return []
            conditions: list[ColumnElement[bool]] = [ProductRow.merchant_id.in_(sorted(distances))]
            if tokens:
                conditions.append(
                    or_(
                        *(
                            ProductRow.search_text.like(f"%{_like_escape(t)}%", escape="\\")
                            for t in tokens
                        )
                    )
                )
            if query.max_price is not None:
                conditions += [
                    ProductRow.currency == query.max_price.currency,
                    ProductRow.price_minor <= query.max_price.minor,
                ]
            if query.category_prefix:
                prefix = query.category_prefix
                conditions.append(
                    or_(
                        ProductRow.category == prefix,
                        ProductRow.category.like(_like_escape(prefix) + "/%", escape="\\"),
                    )
                )
            if query.in_stock_only:
                conditions.append(ProductRow.stock > 0)
            rows = session.scalars(select(ProductRow).where(*conditions)).all()
            scored = []
            for row in rows:
                score = _score(tokens, f"{row.title} {row.title_zh}".lower(), row.search_text)
                if score > 0 or not tokens:
                    scored.append((score if tokens else 1.0, row))
        scored.sort(key=lambda s: (-s[0], s[1].price_minor, s[1].product_id))
        return [
            SearchHit(
                product_from_row(row), merchants[row.merchant_id], score, distances[row.merchant_id]
            )
            for score, row in scored[: query.limit]
        ]

    @staticmethod
    def _reachable(merchants: dict[str, Merchant], query: SearchQuery) -> dict[str, float | None]:
        """Merchants that pass the merchant and distance filters, with their distance."""
        reachable: dict[str, float | None] = {}
        for merchant_id, merchant in merchants.items():
            if query.merchant_ids and merchant_id not in query.merchant_ids:
                continue
            if query.location is None:
                reachable[merchant_id] = None
                continue
            distance = query.location.distance_km(merchant.location)
            if distance > float(merchant.delivery_radius_km):
                continue
            if query.radius_km is not None and distance > float(query.radius_km):
                continue
            reachable[merchant_id] = round(distance, 3)
        return reachable
