"""One approval by the person over a basket of merchant-signed carts (pure).

A basket split across merchants is several confirmed carts, each signed by its own merchant
(``act-cart+jwt``). The person approves the whole set once, with one JWS
(``act-basket-approval+jwt``) whose payload names:

* ``basket_digest``: the SHA-256 of the JCS bytes of ``{"cart_digests": [...]}``, the carts'
  own digests (``jcs_digest`` of each signed cart payload) **sorted**, so the digest is the
  same whatever order the carts are listed in, and a set with one cart more, one less or one
  changed has another digest;
* ``cart_count`` and ``amount``: how many carts and their summed totals, as the person read them;
* ``delegation_id`` and ``agent_id``: the credential and agent the basket is paid under;
* ``policy``: what happens when one cart cannot be paid. Only ``all-or-nothing`` exists: every
  cart is paid in one transaction or none is (``BasketPolicy``);
* ``basket_id`` and ``approved_at``.

The same cart twice in one basket is refused (a set has no duplicates). The payment provider
checks that the carts it is sent are exactly the approved set (``basket_digest_of``) and that
their total is the approved amount and within the IAC (``payments.basket_payment``).

>>> a, b = "sha-256:" + "A" * 43, "sha-256:" + "B" * 43
>>> basket_digest_of([a, b]) == basket_digest_of([b, a])
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from trustcart.core.clock import format_instant, parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money, sum_money
from trustcart.core.typs import BASKET_APPROVAL_TYP
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import SigningKey

MAX_BASKET_CARTS = 10


class BasketPolicy(StrEnum):
    """What the person chose for a basket whose carts cannot all be paid."""

    ALL_OR_NOTHING = "all-or-nothing"


def basket_digest_of(cart_digests: Iterable[str]) -> str:
    """The order-independent digest of a set of cart digests; a repeated cart is refused."""
    digests = list(cart_digests)
    if not 1 <= len(digests) <= MAX_BASKET_CARTS:
        raise ValidationError(f"a basket holds 1..{MAX_BASKET_CARTS} carts")
    if len(set(digests)) != len(digests):
        raise ValidationError("a basket holds each cart once")
    if not all(isinstance(d, str) and d.startswith("sha-256:") for d in digests):
        raise ValidationError("cart digests are sha-256 digests")
    return jcs_digest({"cart_digests": sorted(digests)})


@dataclass(frozen=True, slots=True)
class BasketApproval:
    """The fields of a basket approval, checked when built (not its signature)."""

    basket_id: str
    delegation_id: str
    agent_id: str
    basket_digest: str
    cart_count: int
    amount: Money
    policy: BasketPolicy
    approved_at: datetime

    def __post_init__(self) -> None:
        for name in ("basket_id", "delegation_id", "agent_id", "basket_digest"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValidationError(f"basket approval {name} is missing")
        count = self.cart_count
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValidationError("basket approval cart_count must be an int")
        if not 1 <= count <= MAX_BASKET_CARTS:
            raise ValidationError(f"a basket holds 1..{MAX_BASKET_CARTS} carts")
        if not isinstance(self.amount, Money) or self.amount.minor <= 0:
            raise ValidationError("basket approval amount must be positive")
        if not isinstance(self.policy, BasketPolicy):
            raise ValidationError("unknown basket policy")

    def payload(self) -> dict[str, Any]:
        return {
            "basket_id": self.basket_id,
            "delegation_id": self.delegation_id,
            "agent_id": self.agent_id,
            "basket_digest": self.basket_digest,
            "cart_count": self.cart_count,
            "amount": self.amount.to_json(),
            "policy": self.policy.value,
            "approved_at": format_instant(self.approved_at),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> BasketApproval:
        """Read a verified payload; anything malformed is a ``ValidationError``."""
        try:
            return cls(
                basket_id=payload["basket_id"],
                delegation_id=payload["delegation_id"],
                agent_id=payload["agent_id"],
                basket_digest=payload["basket_digest"],
                cart_count=payload["cart_count"],
                amount=Money.from_json(payload["amount"]),
                policy=BasketPolicy(payload["policy"]),
                approved_at=parse_instant(payload["approved_at"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValidationError(f"basket approval is malformed: {e}") from e


def basket_approval_for(
    cart_payloads: Sequence[Mapping[str, Any]],
    *,
    basket_id: str,
    now: datetime,
    policy: BasketPolicy = BasketPolicy.ALL_OR_NOTHING,
) -> BasketApproval:
    """What the person approves for these verified cart payloads (one delegation and agent)."""
    if not cart_payloads:
        raise ValidationError("a basket holds at least one cart")
    delegations = {str(c.get("delegation_id")) for c in cart_payloads}
    agents = {str(c.get("agent_id")) for c in cart_payloads}
    if len(delegations) != 1 or len(agents) != 1:
        raise ValidationError("every cart of a basket is for one delegation and one agent")
    totals = [Money.from_json(c["total"]) for c in cart_payloads]
    return BasketApproval(
        basket_id=basket_id,
        delegation_id=delegations.pop(),
        agent_id=agents.pop(),
        basket_digest=basket_digest_of(jcs_digest(dict(c)) for c in cart_payloads),
        cart_count=len(cart_payloads),
        amount=sum_money(totals, totals[0].currency),
        policy=policy,
        approved_at=now,
    )


def sign_basket_approval(approval: BasketApproval, key: SigningKey) -> str:
    """The person's one signature over the basket (``act-basket-approval+jwt``)."""
    return sign_compact(approval.payload(), key, typ=BASKET_APPROVAL_TYP)
