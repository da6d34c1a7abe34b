"""What the agent knows about an offer, a confirmed cart and a payment: frozen typed values.

Merchants answer CID-INT-XFR with candidates (JSON); ``Offer.from_wire`` reads one, once, and
from then on every module (planner, checks, tools, conversation, demo) passes ``Offer`` values.
A merchant-signed cart becomes a ``ConfirmedCart`` only after its signature is verified, and a
payment a ``Receipt`` only after the payment provider's signature is; both keep the signed
payload they were read from, since digests are computed over exactly those bytes (JCS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.crypto.jcs import jcs_digest


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class Offer:
    """One priced offer of one product, as a merchant answered the intent context."""

    product_id: str
    title: str
    merchant_id: str
    merchant_name: str
    category: str
    quantity: int
    unit_price: Money
    subtotal: Money
    discount: Money
    total: Money
    coupons: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    delivery_minutes: int = 0
    distance_km: float | None = None
    score: float = 0.0
    title_zh: str = ""
    brand: str = ""
    good_match: bool | None = None  # the search engine's judgement, when the merchant sends it
    business: str = ""  # the UCP business it came from (its URL; ``assistant.ucp``), else ""

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValidationError("an offer is for at least one item")
        if not (self.unit_price.currency == self.total.currency == self.subtotal.currency):
            raise ValidationError("an offer is priced in one currency")
        object.__setattr__(self, "attributes", _frozen(self.attributes))

    @classmethod
    def from_wire(cls, candidate: Mapping[str, Any]) -> Offer:
        """Read one intent-context candidate; anything malformed is a ``ValidationError``."""
        try:
            product, offer = candidate["product"], candidate["offer"]
            line = offer["items"][0]
            distance = candidate.get("distance_km")
            return cls(
                product_id=str(product["product_id"]),
                title=str(product["title"]),
                title_zh=str(product.get("title_zh") or ""),
                merchant_id=str(candidate["merchant"]["merchant_id"]),
                merchant_name=str(candidate["merchant"]["name"]),
                category=str(product["category"]),
                quantity=int(line["quantity"]),
                unit_price=Money.from_json(line["unit_price"]),
                subtotal=Money.from_json(offer["subtotal"]),
                discount=Money.from_json(offer["discount"]),
                total=Money.from_json(offer["total"]),
                coupons=tuple(
                    str(c.get("description", c.get("coupon_id", "")))
                    for c in offer.get("coupons", [])
                ),
                attributes={
                    str(k).lower(): str(v).lower() for k, v in product.get("attributes", {}).items()
                },
                delivery_minutes=int(offer.get("delivery_minutes", product["delivery_minutes"])),
                distance_km=None if distance is None else float(distance),
                score=float(candidate.get("score", 0.0)),
                brand=str(product.get("brand") or ""),
                good_match=None
                if candidate.get("good_match") is None
                else bool(candidate["good_match"]),
            )
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
            raise ValidationError(f"a candidate the merchant sent is malformed: {e}") from e

    def title_in(self, language: str) -> str:
        """The title in the person's language: ``title_zh`` for Chinese when the shop has one."""
        return self.title_zh if language == "zh" and self.title_zh else self.title

    def to_record(self) -> dict[str, Any]:
        """Every field, as JSON (the conversation's and the records' snapshots)."""
        return {
            **self.to_json(),
            "title_zh": self.title_zh,
            "brand": self.brand,
            "category": self.category,
            "subtotal": self.subtotal.to_json(),
            "discount": self.discount.to_json(),
            "attributes": dict(self.attributes),
            "score": self.score,
            "good_match": self.good_match,
            "business": self.business,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Offer:
        """Read back ``to_record``; anything malformed is a ``ValidationError``."""
        try:
            distance = record.get("distance_km")
            good = record.get("good_match")
            return cls(
                product_id=str(record["product_id"]),
                title=str(record["title"]),
                title_zh=str(record.get("title_zh") or ""),
                brand=str(record.get("brand") or ""),
                merchant_id=str(record["merchant_id"]),
                merchant_name=str(record["merchant_name"]),
                category=str(record["category"]),
                quantity=int(record["quantity"]),
                unit_price=Money.from_json(record["unit_price"]),
                subtotal=Money.from_json(record["subtotal"]),
                discount=Money.from_json(record["discount"]),
                total=Money.from_json(record["line_total"]),
                coupons=tuple(str(c) for c in record.get("coupons", [])),
                attributes={str(k): str(v) for k, v in dict(record["attributes"]).items()},
                delivery_minutes=int(record["delivery_minutes"]),
                distance_km=None if distance is None else float(distance),
                score=float(record.get("score", 0.0)),
                good_match=None if good is None else bool(good),
                business=str(record.get("business") or ""),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ValidationError(f"an offer record is malformed: {e}") from e

    def to_json(self, language: str = "en") -> dict[str, Any]:
        """The line as ``chat --once --json`` shows it; ``title`` in the person's language."""
        return {
            "product_id": self.product_id,
            "title": self.title_in(language),
            "merchant_id": self.merchant_id,
            "merchant_name": self.merchant_name,
            "quantity": self.quantity,
            "unit_price": self.unit_price.to_json(),
            "line_total": self.total.to_json(),
            "coupons": list(self.coupons),
            "delivery_minutes": self.delivery_minutes,
            "distance_km": self.distance_km,
        }


@dataclass(frozen=True, slots=True)
class CartLine:
    product_id: str
    quantity: int
    unit_price: Money
    category: str


@dataclass(frozen=True, slots=True)
class ConfirmedCart:
    """A cart the merchant confirmed and signed (CID-CART-CFM); its signature was verified."""

    token: str
    payload: Mapping[str, Any]
    out_trade_no: str
    merchant_id: str
    intent_id: str
    delegation_id: str
    agent_id: str
    lines: tuple[CartLine, ...]
    total: Money
    price_locked_until: str

    @classmethod
    def from_verified(cls, token: str, payload: Mapping[str, Any]) -> ConfirmedCart:
        try:
            return cls(
                token=token,
                payload=MappingProxyType(dict(payload)),
                out_trade_no=str(payload["out_trade_no"]),
                merchant_id=str(payload["merchant_id"]),
                intent_id=str(payload.get("intent_id") or ""),
                delegation_id=str(payload.get("delegation_id") or ""),
                agent_id=str(payload.get("agent_id") or ""),
                lines=tuple(
                    CartLine(
                        str(item["product_id"]),
                        int(item["quantity"]),
                        Money.from_json(item["unit_price"]),
                        str(item["category"]),
                    )
                    for item in payload["items"]
                ),
                total=Money.from_json(payload["total"]),
                price_locked_until=str(payload.get("price_locked_until") or ""),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValidationError(f"the confirmed cart is malformed: {e}") from e

    @property
    def digest(self) -> str:
        """SHA-256 over the JCS bytes of the signed payload (what approvals and receipts name)."""
        return jcs_digest(dict(self.payload))

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({line.category for line in self.lines}))


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    """What the payment provider says the credential has spent, after this payment."""

    spent: Money
    count: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Receipt:
    """A payment the provider made and signed; its signature was verified."""

    token: str
    payload: Mapping[str, Any]
    trade_no: str
    out_trade_no: str
    cart_digest: str
    amount: Money
    budget: BudgetSnapshot | None
    credential_status: str

    @classmethod
    def from_verified(
        cls, token: str, payload: Mapping[str, Any], *, trade_no: str, credential_status: str
    ) -> Receipt:
        try:
            budget = payload.get("budget")
            return cls(
                token=token,
                payload=MappingProxyType(dict(payload)),
                trade_no=trade_no,
                out_trade_no=str(payload["out_trade_no"]),
                cart_digest=str(payload["cart_digest"]),
                amount=Money.from_json(payload["amount"]),
                budget=None
                if not isinstance(budget, Mapping)
                else BudgetSnapshot(
                    Money.from_json(budget["spent"]), int(budget["count"]), int(budget["quantity"])
                ),
                credential_status=credential_status,
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValidationError(f"the receipt is malformed: {e}") from e
