"""Price comparison: the same product across merchants, cheapest delivered total first.

Matching (``same_product``, ``match_basis``): two offers are the same product when both carry a
GTIN and the GTINs are equal. When either lacks one: the same brand (case-insensitive; two
unbranded offers, such as two shops' own pearl milk tea, must also share the category), the
same ``model`` attribute when both have one, the same variant (``VARIANT_ATTRIBUTES``: size,
colour, pack) wherever both say, and normalized titles that are similar: Jaccard similarity
>= ``TITLE_SIMILARITY`` over the title's terms without the brand, without the offer's own
variant values and without words that only name a variant (colour, size).

Ranking: by the delivered total = price + the merchant's shipping - the best coupon combination
for that one item (exact, ``coupons.best_coupon_combination``), then delivery time, then product
id; out-of-stock offers last. With a buyer ``location``, offers whose merchant does not deliver
there are left out and counted (``Comparison.undeliverable``).

Today's price is judged against the offer's own price history (``judge_price``): "lowest" when
it is at or below every price seen, "good" at or below the median, "high" above it,
"no-history" with fewer than two observations.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select

from trustcart.commerce.catalog import VARIANT_ATTRIBUTES, Coupon, Merchant, Product
from trustcart.commerce.coupons import CouponChoice, best_coupon_combination
from trustcart.commerce.errors import CommerceProblem, NotFound
from trustcart.commerce.price_history import load_price_history
from trustcart.commerce.repository import load_coupons, load_merchants, product_from_row
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.search.analysis import analyze
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database

TITLE_SIMILARITY = 0.8
MAX_CANDIDATES = 5_000
_VARIANT_WORDS = frozenset(
    (  # noqa: SIM905 - a word list reads best as words
        "xxs xs s m l xl xxl large medium small regular black white navy grey gray red olive sky "
        "blue beige pink green yellow purple brown orange"
    ).split()
)


class MatchBasis(StrEnum):
    """Why an offer is taken for the same product."""

    SAME_OFFER = "same-offer"
    GTIN = "gtin"
    TITLE = "brand-model-title"


def title_terms(product: Product) -> frozenset[str]:
    """The title's terms that name the product: no brand, variant value or bare number.

    >>> from trustcart.core.money import Money
    >>> p = Product("p_a", "m_a", "Voltly Phone Case - black", "", "Voltly",
    ...             "electronics/accessories", Money(100, "CNY"), 1, 1, {"colour": "black"})
    >>> sorted(title_terms(p))
    ['case', 'phone']
    """
    left_out = set(analyze(product.brand))
    for name in VARIANT_ATTRIBUTES:
        left_out.update(analyze(product.attributes.get(name, "")))
    return frozenset(
        t
        for t in analyze(product.title)
        if t not in left_out and t not in _VARIANT_WORDS and not t.isdigit()
    )


def _same_variant(a: Product, b: Product) -> bool:
    for name in (*VARIANT_ATTRIBUTES, "model"):
        value_a, value_b = a.attributes.get(name), b.attributes.get(name)
        if value_a and value_b and value_a.strip().casefold() != value_b.strip().casefold():
            return False
    return True


def match_basis(a: Product, b: Product) -> MatchBasis | None:
    """How ``b`` is the same product as ``a`` (see the module docstring), or None."""
    if a.product_id == b.product_id:
        return MatchBasis.SAME_OFFER
    if a.gtin and b.gtin:
        return MatchBasis.GTIN if a.gtin == b.gtin else None
    brand = a.brand.strip().casefold()
    if brand != b.brand.strip().casefold():
        return None
    if not brand and a.category != b.category:
        return None  # unbranded goods compare only within their category
    if not _same_variant(a, b):
        return None
    terms_a, terms_b = title_terms(a), title_terms(b)
    if not terms_a or not terms_b:
        return None
    similar = len(terms_a & terms_b) / len(terms_a | terms_b) >= TITLE_SIMILARITY
    return MatchBasis.TITLE if similar else None


def same_product(a: Product, b: Product) -> bool:
    """Whether two offers sell the same product (see the module docstring)."""
    return match_basis(a, b) is not None


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
    """One merchant's offer of the compared product, priced as delivered."""

    product: Product
    merchant: Merchant
    coupons: CouponChoice
    total: Money
    price_verdict: PriceVerdict
    matched_by: MatchBasis = MatchBasis.SAME_OFFER
    distance_km: float | None = None

    def to_json(self) -> dict[str, Any]:
        body = {
            "product_id": self.product.product_id,
            "title": self.product.title,
            "title_zh": self.product.title_zh,
            "brand": self.product.brand,
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
            "matched_by": self.matched_by.value,
            "gtin": self.product.gtin,
            "attributes": dict(self.product.attributes),
        }
        if self.distance_km is not None:
            body["distance_km"] = f"{self.distance_km:.3f}"
        return body


@dataclass(frozen=True, slots=True)
class Comparison:
    """The compared product, its offers best first, and its variants at the same merchant."""

    product: Product
    offers: tuple[Offer, ...]
    variants: tuple[Product, ...] = ()
    undeliverable: int = 0  # offers left out: their merchant does not deliver to the buyer
    generated_at: datetime | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "product_id": self.product.product_id,
            "title": self.product.title,
            "title_zh": self.product.title_zh,
            "group_id": self.product.group_id,
            "offers": [o.to_json() for o in self.offers],
            "merchants": len({o.merchant.merchant_id for o in self.offers}),
            "undeliverable": self.undeliverable,
            "variants": [
                {
                    "product_id": v.product_id,
                    "title": v.title,
                    "attributes": {
                        k: v.attributes[k] for k in VARIANT_ATTRIBUTES if k in v.attributes
                    },
                    "price": v.price.to_json(),
                    "in_stock": v.in_stock(),
                }
                for v in self.variants
            ],
        }


def _delivers(merchant: Merchant, location: GeoPoint | None) -> tuple[bool, float | None]:
    if location is None:
        return True, None
    distance = location.distance_km(merchant.location)
    return distance <= float(merchant.delivery_radius_km), round(distance, 3)


def price_offer(
    match: Product,
    merchant: Merchant,
    coupons: Sequence[Coupon],
    history: Sequence[Money],
    *,
    now: datetime,
    matched_by: MatchBasis = MatchBasis.SAME_OFFER,
    distance_km: float | None = None,
) -> Offer:
    """One offer priced as delivered: price + shipping - its best coupons (pure)."""
    choice = best_coupon_combination(
        coupons, match.price, categories=[match.category], now=now, merchant_id=match.merchant_id
    )
    total = match.price + merchant.delivery_fee - choice.discount
    return Offer(
        match, merchant, choice, total, judge_price(match.price, history), matched_by, distance_km
    )


def rank_offers(offers: Sequence[Offer]) -> list[Offer]:
    """In stock first, then delivered total, delivery time and product id."""
    return sorted(
        offers,
        key=lambda o: (
            not o.product.in_stock(),
            o.total.minor,
            o.product.delivery_minutes,
            o.product.product_id,
        ),
    )


def compare_product(
    db: Database, product_id: str, *, now: datetime, location: GeoPoint | None = None
) -> Comparison:
    """Every offer of the same product (itself included), best total first, and its variants."""
    with db.transaction() as session:
        row = session.get(ProductRow, product_id)
        if row is None:
            raise NotFound(CommerceProblem.UNKNOWN_PRODUCT, f"no product {product_id}")
        product = product_from_row(row)
        same_brand = (func.lower(ProductRow.brand) == product.brand.strip().lower()) & (
            ProductRow.category == product.category
        )
        wanted = or_(ProductRow.gtin == product.gtin, same_brand) if product.gtin else same_brand
        rows = session.scalars(select(ProductRow).where(wanted).limit(MAX_CANDIDATES)).all()
        matches = [
            (p, basis)
            for p in map(product_from_row, rows)
            if (basis := match_basis(product, p)) is not None
        ]
        if all(p.product_id != product.product_id for p, _ in matches):
            matches.append((product, MatchBasis.SAME_OFFER))
        variants: list[Product] = []
        if product.group_id is not None:
            variants = [
                product_from_row(r)
                for r in session.scalars(
                    select(ProductRow)
                    .where(
                        ProductRow.group_id == product.group_id,
                        ProductRow.merchant_id == product.merchant_id,
                        ProductRow.product_id != product.product_id,
                    )
                    .order_by(ProductRow.product_id)
                    .limit(MAX_CANDIDATES)
                )
            ]
        merchants = {m.merchant_id: m for m in load_merchants(session)}
        coupons = {m: load_coupons(session, m) for m in {p.merchant_id for p, _ in matches}}
        history = load_price_history(session, [p.product_id for p, _ in matches])
    offers, undeliverable = [], 0
    for match, basis in matches:
        merchant = merchants[match.merchant_id]
        delivers, distance = _delivers(merchant, location)
        if not delivers:
            undeliverable += 1
            continue
        offers.append(
            price_offer(
                match,
                merchant,
                coupons[match.merchant_id],
                history.get(match.product_id, []),
                now=now,
                matched_by=basis,
                distance_km=distance,
            )
        )
    return Comparison(
        product, tuple(rank_offers(offers)), tuple(variants), undeliverable, generated_at=now
    )


def compare_offers(db: Database, product_id: str, *, now: datetime) -> list[Offer]:
    """Every offer of the same product (itself included), best total first."""
    return list(compare_product(db, product_id, now=now).offers)
