"""The same product at other shops, as the agent reads the marketplace's comparison (pure).

``GET /products/{id}/offers`` answers the product's offers at every merchant that sells it
(matched by GTIN, else brand, model and title), best delivered total first: price + shipping -
the best coupons. ``Comparison.from_wire`` reads it once into frozen values;
``cheaper_elsewhere`` answers "is it cheaper elsewhere?" for an offer the person was shown,
with the figures to say so in either language (``CheaperElsewhere.text``).

>>> c = Comparison.from_wire({"product_id": "p_a", "title": "Tea", "offers": [
...     {"product_id": "p_b", "title": "Tea", "merchant_id": "m_b", "merchant_name": "B",
...      "price": {"amount": "9.00", "currency": "CNY"},
...      "total": {"amount": "9.00", "currency": "CNY"}, "delivery_minutes": 30},
...     {"product_id": "p_a", "title": "Tea", "merchant_id": "m_a", "merchant_name": "A",
...      "price": {"amount": "12.00", "currency": "CNY"},
...      "total": {"amount": "12.00", "currency": "CNY"}, "delivery_minutes": 20}]})
>>> cheaper_elsewhere(c, "p_a").text("en")
'B sells Tea for 9.00 CNY delivered, 3.00 CNY less than at A (12.00 CNY).'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money

MAX_OFFERS = 500


@dataclass(frozen=True, slots=True)
class ComparedOffer:
    """One shop's offer of the compared product, priced as delivered."""

    product_id: str
    title: str
    merchant_id: str
    merchant_name: str
    price: Money
    total: Money
    delivery_minutes: int
    in_stock: bool = True
    verdict: str = "no-history"
    title_zh: str = ""

    @classmethod
    def from_wire(cls, raw: Mapping[str, Any]) -> ComparedOffer:
        verdict = raw.get("price_verdict") or {}
        return cls(
            product_id=str(raw["product_id"]),
            title=str(raw["title"]),
            title_zh=str(raw.get("title_zh") or ""),
            merchant_id=str(raw["merchant_id"]),
            merchant_name=str(raw["merchant_name"]),
            price=Money.from_json(raw["price"]),
            total=Money.from_json(raw["total"]),
            delivery_minutes=int(raw["delivery_minutes"]),
            in_stock=raw.get("in_stock", True) is not False,
            verdict=str(verdict.get("verdict", "no-history")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "title": self.title,
            "title_zh": self.title_zh,
            "merchant_id": self.merchant_id,
            "merchant_name": self.merchant_name,
            "price": self.price.to_json(),
            "total": self.total.to_json(),
            "delivery_minutes": self.delivery_minutes,
            "in_stock": self.in_stock,
            "price_verdict": self.verdict,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """The compared product and its offers, best delivered total first."""

    product_id: str
    title: str
    offers: tuple[ComparedOffer, ...]

    @classmethod
    def from_wire(cls, body: Any) -> Comparison:
        """Read the marketplace's answer; anything malformed is a ``ValidationError``."""
        try:
            raw = body["offers"]
            if not isinstance(raw, list) or len(raw) > MAX_OFFERS:
                raise ValidationError(f"offers must be a list of at most {MAX_OFFERS}")
            offers = tuple(ComparedOffer.from_wire(o) for o in raw)
            return cls(str(body["product_id"]), str(body["title"]), offers)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ValidationError(f"the comparison is malformed: {e}") from e

    @property
    def merchants(self) -> int:
        return len({o.merchant_id for o in self.offers})

    def to_json(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "title": self.title,
            "merchants": self.merchants,
            "offers": [o.to_json() for o in self.offers],
        }


@dataclass(frozen=True, slots=True)
class CheaperElsewhere:
    """The best offer elsewhere against the one shown; ``saving`` > 0 when it is cheaper."""

    shown: ComparedOffer
    best: ComparedOffer

    @property
    def saving(self) -> Money:
        return self.shown.total - self.best.total

    def to_json(self) -> dict[str, Any]:
        return {
            "cheaper": self.saving.minor > 0,
            "saving": self.saving.to_json(),
            "best": self.best.to_json(),
            "text": self.text("en"),
            "text_zh": self.text("zh"),
        }

    def text(self, language: str = "en") -> str:
        """One sentence, in English or Chinese."""
        zh = language == "zh"
        title = (self.best.title_zh or self.best.title) if zh else self.best.title
        if self.saving.minor <= 0:
            return (
                f"{self.shown.merchant_name}的价格已经最低（{self.shown.total}）。"
                if zh
                else f"{self.shown.merchant_name} is already the cheapest ({self.shown.total})."
            )
        if zh:
            return (
                f"{self.best.merchant_name}的{title}到手价{self.best.total}，"
                f"比{self.shown.merchant_name}（{self.shown.total}）便宜{self.saving}。"
            )
        return (
            f"{self.best.merchant_name} sells {title} for {self.best.total} delivered, "
            f"{self.saving} less than at {self.shown.merchant_name} ({self.shown.total})."
        )


def cheaper_elsewhere(comparison: Comparison, shown_product_id: str) -> CheaperElsewhere | None:
    """The cheapest in-stock offer in the shown offer's currency, against the shown one; None
    when the shown offer is not among the compared ones."""
    shown = next((o for o in comparison.offers if o.product_id == shown_product_id), None)
    if shown is None:
        return None
    candidates = [
        o for o in comparison.offers if o.in_stock and o.total.currency == shown.total.currency
    ]
    best = min(candidates, key=lambda o: (o.total.minor, o.delivery_minutes), default=shown)
    return CheaperElsewhere(shown, best)
