"""Open AP2 checkout mandates (``mandate.checkout.open.1``): their constraints judged against
the merchant-signed checkout the agent closed them with, and against the IAC.

Strategy: as for open payment mandates (``open_mandates``), every constraint must be met and a
constraint trustcart does not evaluate is ``ap2-constraint-unknown`` (AP2: unknown constraints
fail). Evaluated:

* ``checkout.allowed_merchants``: the checkout's merchant is among the *revealed* merchants
  (the agent discloses only the one it buys from);
* ``checkout.line_items``: for each requirement exactly one of its revealed acceptable items is
  in the checkout, in exactly the required quantity; and the checkout has no line that no
  requirement accounts for (the person approved these items, not "these and more").

An item is matched by its ``id`` against the cart line's ``product_id`` (AP2: "will often be
the SKU"). The merchants of ``checkout.allowed_merchants`` must fit the IAC like payees do.

>>> from datetime import UTC, datetime
>>> tea = {"id": "l1", "quantity": 2, "acceptable_items": [{"id": "p_tea", "title": "Tea"}]}
>>> open_mandate = OpenCheckoutMandate(
...     ({"type": "checkout.line_items", "items": [tea]},), datetime(2030, 1, 1, tzinfo=UTC))
>>> open_mandate.check_checkout("m1", [("p_tea", 2)])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.delegation.ap2 import schemas
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.mandates import CheckoutMandate, MandateType, mandate_window
from trustcart.delegation.ap2.schemas import AP2Schema
from trustcart.delegation.iac import IAC

_UNMET, _UNKNOWN, _WIDER = (
    AP2Refusal.CONSTRAINT_UNMET,
    AP2Refusal.CONSTRAINT_UNKNOWN,
    AP2Refusal.WIDER_THAN_IAC,
)
EVALUATED = frozenset({"checkout.allowed_merchants", "checkout.line_items"})


def _ids(elements: Sequence[Any]) -> set[str]:
    return {e["id"] for e in elements if isinstance(e, dict) and isinstance(e.get("id"), str)}


@dataclass(frozen=True)
class OpenCheckoutMandate:
    """An open checkout mandate's constraints (claims verified by the caller)."""

    constraints: tuple[Mapping[str, Any], ...]
    expires_at: datetime

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], now: datetime) -> OpenCheckoutMandate:
        """Refuse a wrong ``vct``, a schema violation, or a missing / past ``exp``."""
        if claims.get("vct") != MandateType.OPEN_CHECKOUT.value:
            raise MandateRefused(AP2Refusal.WRONG_TYPE, "expected an open checkout mandate")
        schemas.validate(AP2Schema.OPEN_CHECKOUT_MANDATE, dict(claims))
        _, expires_at = mandate_window(claims, now)
        return cls(tuple(claims["constraints"]), expires_at)

    def check_closed(self, closed: CheckoutMandate) -> None:
        """Refuse a closed checkout mandate that outlives this open one."""
        if closed.expires_at > self.expires_at:
            raise MandateRefused(_UNMET, "the closed mandate outlives its open mandate")

    def check_checkout(self, merchant_id: str, lines: Sequence[tuple[str, int]]) -> None:
        """Refuse unless a checkout from ``merchant_id`` with ``lines`` (product id, quantity)
        meets every constraint (module doc)."""
        accounted: set[str] = set()
        for constraint in self.constraints:
            kind = constraint.get("type")
            if kind not in EVALUATED:
                raise MandateRefused(_UNKNOWN, f"constraint {kind!r} is not evaluated here")
            if kind == "checkout.allowed_merchants":
                if merchant_id not in _ids(constraint["allowed"]):
                    raise MandateRefused(_UNMET, "the merchant is not among the allowed ones")
                continue
            for requirement in constraint["items"]:
                acceptable = _ids(requirement["acceptable_items"])
                present = [(pid, qty) for pid, qty in lines if pid in acceptable]
                if len(present) != 1:
                    raise MandateRefused(
                        _UNMET, f"line item {requirement['id']!r}: not exactly one acceptable item"
                    )
                if present[0][1] != requirement["quantity"]:
                    raise MandateRefused(
                        _UNMET, f"line item {requirement['id']!r}: not the required quantity"
                    )
                if present[0][0] in accounted:
                    raise MandateRefused(_UNMET, "one cart line cannot meet two requirements")
                accounted.add(present[0][0])
        if any(pid not in accounted for pid, _ in lines):
            raise MandateRefused(_UNMET, "the checkout has items the open mandate does not name")

    def check_within_iac(self, iac: IAC) -> None:
        """Refuse allowed merchants the IAC does not allow, or a mandate outliving it."""
        commerce = iac.commerce
        if self.expires_at > iac.validity_end:
            raise MandateRefused(_WIDER, "the open mandate outlives the IAC")
        for constraint in self.constraints:
            if constraint.get("type") != "checkout.allowed_merchants":
                continue
            merchants = _ids(constraint["allowed"])
            if commerce.allowed_merchants and not merchants <= set(commerce.allowed_merchants):
                raise MandateRefused(_WIDER, "the open mandate allows merchants the IAC does not")
            if merchants & set(commerce.forbidden_merchants):
                raise MandateRefused(_WIDER, "the open mandate allows a merchant the IAC forbids")
