"""Price comparison: the same product across merchants, cheapest delivered total first.

Matching (``same_product``): two offers are the same product when both carry a GTIN and the
GTINs are equal; when either lacks one, when they share the brand (case-insensitive), the
``model`` attribute (if both have one) and their normalized titles are similar: Jaccard
similarity ≥ ``TITLE_SIMILARITY`` over title terms without the brand and without words that
only name a variant (colour, size). Offers then rank by total = price + shipping − the best
coupon combination for that one item (exact, ``coupons.best_coupon_combination``), then by
delivery time, then product id.

Today's price is judged against the product's own price history (``judge_price``): "lowest"
when it is at or below every earlier price, "good" at or below the median, "high" above it,
"no-history" with fewer than two observations.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from trustcart.commerce.catalog import Merchant, Product
from trustcart.commerce.coupons import CouponChoice, best_coupon_combination
from trustcart.commerce.errors import CommerceProblem, NotFound
from trustcart.commerce.repository import (
    load_coupons,
    load_merchants,
    load_product,
    product_from_row,
)
from trustcart.core.money import Money
from trustcart.search.analysis import analyze
from trustcart.store.commerce import PriceHistoryRow, ProductRow
from trustcart.store.db import Database

TITLE_SIMILARITY = 0.8
MAX_CANDIDATES = 5_000
_VARIANT_WORDS = frozenset(
    {
        "xs",
        "s",
        "m",
        "l",
        "xl",
        "xxl",
        "large",
        "medium",
        "small",
        "black",
        "white",
        "navy",
        "grey",
        "gray",
        "red",
        "olive",
        "sky",
        "blue",
        "beige",
        "pink",
        "green",
    }
)


def title_terms(product: Product) -> frozenset[str]:
    brand = set(analyze(product.brand))
    return frozenset(
        t
        for t in analyze(product.title)
        if t not in brand and t not in _VARIANT_WORDS and not t.isdigit()
    )


def same_product(a: Product, b: Product) -> bool:
    """Whether two offers sell the same product (see the module docstring)."""
    if a.gtin and b.gtin:
        return a.gtin == b.gtin
    if a.brand.strip().lower() != b.brand.strip().lower() or not a.brand.strip():
        return False
    model_a, model_b = a.attributes.get("model"), b.attributes.get("model")
    if model_a and model_b and model_a.lower() != model_b.lower():
        return False
    terms_a, terms_b = title_terms(a), title_terms(b)
    if not terms_a or not terms_b:
        return False
    return len(terms_a & terms_b) / len(terms_a | terms_b) >= TITLE_SIMILARITY


class PriceTrend(StrEnum):
    """Today's price against the product's price history."""

    LOWEST = "lowest"  # at or below the lowest price seen
    GOOD = "good"  # at or below the median
    HIGH = "high"  # above the median
    NO_HISTORY = "no-history"  # fewer than two prices seen


@dataclass(frozen=True, slots=True)
class PriceVerdict:
    verdict: PriceTrend
    lowest: Money | None
    median: Money | None
    observations: int

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "observations": self.observations,
            "lowest": self.lowest.to_json() if self.lowest else None,
            "median": self.median.to_json() if self.median else None,
        }


def judge_price(today: Money, history: Sequence[Money]) -> PriceVerdict:
    """Judge ``today`` against at least two earlier prices in its currency.

    >>> judge_price(Money(900, "CNY"), [Money(1000, "CNY"), Money(1200, "CNY")]).verdict.value
    'lowest'
    """
    same = [m.minor for m in history if m.currency == today.currency]
    if len(same) < 2:
        return PriceVerdict(PriceTrend.NO_HISTORY, None, None, len(same))
    lowest, median = min(same), int(statistics.median_low(same))
    verdict = (
        PriceTrend.LOWEST
        if today.minor <= lowest
        else PriceTrend.GOOD
        if today.minor <= median
        else PriceTrend.HIGH
    )
    return PriceVerdict(
        verdict, Money(lowest, today.currency), Money(median, today.currency), len(same)
    )


@dataclass(frozen=True, slots=True)
class Offer:
    product: Product
    merchant: Merchant
    coupons: CouponChoice
    total: Money
    price_verdict: PriceVerdict

    def to_json(self) -> dict[str, Any]:
        return {
            "product_id": self.product.product_id,
            "title": self.product.title,
            "merchant_id": self.merchant.merchant_id,
            "merchant_name": self.merchant.name,
            "price": self.product.price.to_json(),
            "shipping": self.merchant.delivery_fee.to_json(),
            "coupon_discount": self.coupons.discount.to_json(),
            "coupons": [a.to_json() for a in self.coupons.applied],
            "total": self.total.to_json(),
            "delivery_minutes": self.product.delivery_minutes,
            "in_stock": self.product.in_stock(),
            "price_verdict": self.price_verdict.to_json(),
        }


def compare_offers(db: Database, product_id: str, *, now: datetime) -> list[Offer]:
    """Every offer of the same product (itself included), best total first."""
    with db.transaction() as session:
        product = load_product(session, product_id)
        if product is None:
            raise NotFound(CommerceProblem.UNKNOWN_PRODUCT, f"no product {product_id}")
        if product.gtin:
            statement = select(ProductRow).where(ProductRow.gtin == product.gtin)
        else:
            statement = select(ProductRow).where(
                func.lower(ProductRow.brand) == product.brand.lower(),
                ProductRow.category == product.category,
            )
        rows = session.scalars(statement.limit(MAX_CANDIDATES)).all()
        matches = [
            p
            for p in map(product_from_row, rows)
            if p.product_id == product.product_id or same_product(product, p)
        ]
        merchants = {m.merchant_id: m for m in load_merchants(session)}
        coupons = {m: load_coupons(session, m) for m in {p.merchant_id for p in matches}}
        history: dict[str, list[Money]] = {}
        for row in session.scalars(
            select(PriceHistoryRow).where(
                PriceHistoryRow.product_id.in_([p.product_id for p in matches])
            )
        ):
            history.setdefault(row.product_id, []).append(Money(row.price_minor, row.currency))
    offers = []
    for match in matches:
        merchant = merchants[match.merchant_id]
        choice = best_coupon_combination(
            coupons[match.merchant_id],
            match.price,
            categories=[match.category],
            now=now,
            merchant_id=match.merchant_id,
        )
        total = match.price + merchant.delivery_fee - choice.discount
        offers.append(
            Offer(
                match,
                merchant,
                choice,
                total,
                judge_price(match.price, history.get(match.product_id, [])),
            )
        )
    offers.sort(
        key=lambda o: (
            not o.product.in_stock(),
            o.total.minor,
            o.product.delivery_minutes,
            o.product.product_id,
        )
    )
    return offers
