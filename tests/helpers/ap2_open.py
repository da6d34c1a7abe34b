"""AP2 human-not-present test helpers: open mandates issued from the world's BOUNDED IAC, or
built by hand (constraints a test chooses), and the agent's closed chains for a cart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.helpers.ap2 import AP2Parties
from tests.helpers.payments import PSP_ID
from trustcart.assistant.ap2_open_wallet import (
    LineItem,
    OpenMandates,
    close_mandates,
    issue_open_mandates,
)
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.ap2 import dsdjwt

TEA = LineItem("line_1", (("p_pearl", "Pearl milk tea"),), 1)


def issue_open(parties: AP2Parties, items: tuple[LineItem, ...] = (TEA,)) -> OpenMandates:
    return issue_open_mandates(
        parties.world.iac,
        items,
        mandate_key=parties.mandate_key,
        agent_key=parties.agent_key.public,
        now=parties.now,
    )


def hand_made_payment(
    parties: AP2Parties,
    opened: OpenMandates,
    edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    *,
    key: SigningKey | None = None,
) -> OpenMandates:
    """``opened`` with its open payment mandate re-signed (by ``key``, the wallet's by default)
    after ``edit`` changed its revealed constraints: what another wallet could issue."""
    _, mandate, *elements = opened.payment.rstrip("~").split("~")
    content = dsdjwt.decoded(mandate)[1]
    reference = opened.checkout.split("~", maxsplit=1)[0]
    constraints = [c for c in content["constraints"] if c["type"] != "payment.reference"]
    bound = {
        "type": "payment.reference",
        "conditional_transaction_id": dsdjwt.sha256_b64url(reference),
    }
    constraints = [*edit(constraints), bound]
    content = {**content, "constraints": constraints}
    payment = dsdjwt.issue_open(
        content, elements, issuer_key=key or parties.mandate_key, now=parties.now
    )
    return OpenMandates(opened.checkout, payment)


def open_body(
    parties: AP2Parties,
    opened: OpenMandates,
    cart: str,
    *,
    request_id: str,
    agent_key: SigningKey | None = None,
) -> dict[str, Any]:
    merchant = parties.world.merchant_key.public
    closed = close_mandates(
        opened,
        cart,
        {merchant.kid: merchant},
        agent_key=agent_key or parties.agent_key,
        psp_id=PSP_ID,
        request_id=request_id,
        now=parties.now,
    )
    return {
        "payment_token": parties.world.token,
        "iac": parties.world.iac.token,
        "request_id": request_id,
        "checkout_mandate": closed.checkout,
        "payment_mandate": closed.payment,
    }
