"""The wallet's open mandates come from a BOUNDED IAC and are never wider; the agent's closed
mandates under them verify as chains and disclose only what this cart needs; the open checkout
mandate's line items are judged exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers.delegation import make_iac
from tests.helpers.payments import MERCHANT, PSP_ID, sign_cart
from trustcart.assistant.ap2_open_wallet import (
    LineItem,
    close_mandates,
    issue_open_mandates,
)
from trustcart.core.money import Money
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.ap2 import dsdjwt
from trustcart.delegation.ap2.errors import AP2Refusal, MandateRefused
from trustcart.delegation.ap2.open_checkout import OpenCheckoutMandate
from trustcart.delegation.terms import CommerceConstraints, DelegationMode

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
WALLET, AGENT, SHOP = (
    SigningKey.generate("ES256"),
    SigningKey.generate("ES256"),
    SigningKey.generate(),
)
TEA = LineItem("line_1", (("p_pearl", "Pearl milk tea"), ("p_jasmine", "Jasmine tea")), 1)


def _wallet_key(kid: str) -> PublicKey | None:
    return WALLET.public if kid == WALLET.kid else None


def _chains(
    commerce: CommerceConstraints | None = None,
) -> tuple[dsdjwt.VerifiedChain, dsdjwt.VerifiedChain]:
    iac = make_iac(NOW) if commerce is None else make_iac(NOW, commerce=commerce)
    opened = issue_open_mandates(iac, (TEA,), mandate_key=WALLET, agent_key=AGENT.public, now=NOW)
    cart = sign_cart(SHOP, NOW)
    closed = close_mandates(
        opened,
        cart,
        {SHOP.kid: SHOP.public},
        agent_key=AGENT,
        psp_id=PSP_ID,
        request_id="req_1",
        now=NOW,
    )
    payment = dsdjwt.verify_chain(
        closed.payment, issuer_key=_wallet_key, audience=PSP_ID, nonce="req_1", now=NOW
    )
    checkout = dsdjwt.verify_chain(
        closed.checkout, issuer_key=_wallet_key, audience=MERCHANT, nonce="ord_1", now=NOW
    )
    return payment, checkout


def test_the_open_payment_mandate_is_the_iacs_limits_bound_to_the_agent() -> None:
    payment, checkout = _chains()  # IAC: 30.00 each, 80.00 in total, trustcart-balance only
    claims = payment.open_claims
    assert claims["vct"] == "mandate.payment.open.1"
    assert claims["cnf"] == {"jwk": dict(AGENT.public.jwk)}
    assert claims["exp"] <= int((NOW + timedelta(days=7)).timestamp())
    by_type = {c["type"]: c for c in claims["constraints"]}
    assert by_type["payment.amount_range"] == {
        "type": "payment.amount_range",
        "currency": "CNY",
        "max": 3000,
    }
    assert by_type["payment.budget"]["max"] == 8000
    assert by_type["payment.allowed_payment_instruments"]["allowed"] == [
        {"id": "trustcart-balance", "type": "trustcart.psp_account"}
    ]
    assert by_type["payment.reference"]["conditional_transaction_id"] == checkout.open_reference
    assert "payment.allowed_payees" not in by_type  # the IAC names no merchants
    assert payment.closed_claims["payment_amount"] == {"amount": 1800, "currency": "CNY"}
    assert payment.agent_key == checkout.agent_key == AGENT.public


def test_only_the_merchant_and_items_of_this_cart_are_disclosed() -> None:
    merchants = (MERCHANT, "merchant:elsewhere")
    payment, checkout = _chains(
        commerce=CommerceConstraints(
            max_single=Money.parse("30.00", "CNY"), allowed_merchants=merchants
        )
    )
    payees = {c["type"]: c for c in payment.open_claims["constraints"]}["payment.allowed_payees"]
    assert payees["allowed"] == [{"id": MERCHANT, "name": MERCHANT}]
    by_type = {c["type"]: c for c in checkout.open_claims["constraints"]}
    assert by_type["checkout.allowed_merchants"]["allowed"] == [{"id": MERCHANT, "name": MERCHANT}]
    [line] = by_type["checkout.line_items"]["items"]
    assert line["acceptable_items"] == [{"id": "p_pearl", "title": "Pearl milk tea"}]


def test_a_specified_iac_gets_no_open_mandates() -> None:
    iac = make_iac(NOW, delegation_mode=DelegationMode.SPECIFIED)
    with pytest.raises(MandateRefused, match="BOUNDED"):
        issue_open_mandates(iac, (TEA,), mandate_key=WALLET, agent_key=AGENT.public, now=NOW)


def _line_items(*requirements: tuple[tuple[str, ...], int]) -> OpenCheckoutMandate:
    items = [
        {
            "id": f"l{n}",
            "quantity": quantity,
            "acceptable_items": [{"id": pid, "title": pid} for pid in ids],
        }
        for n, (ids, quantity) in enumerate(requirements)
    ]
    constraints = (
        {"type": "checkout.line_items", "items": items},
        {"type": "checkout.allowed_merchants", "allowed": [{"id": "m1", "name": "M"}]},
    )
    return OpenCheckoutMandate(constraints, NOW + timedelta(hours=1))


@pytest.mark.parametrize(
    ("merchant", "lines", "met"),
    [
        ("m1", [("a", 1), ("c", 2)], True),
        ("m2", [("a", 1), ("c", 2)], False),  # another merchant
        ("m1", [("a", 1), ("b", 1), ("c", 2)], False),  # two acceptable items for one line
        ("m1", [("a", 2), ("c", 2)], False),  # not the required quantity
        ("m1", [("a", 1)], False),  # a required line is missing
        ("m1", [("a", 1), ("c", 2), ("x", 1)], False),  # an item nobody approved
    ],
)
def test_line_items_are_met_exactly(merchant: str, lines: list[tuple[str, int]], met: bool) -> None:
    mandate = _line_items((("a", "b"), 1), (("c",), 2))
    if met:
        mandate.check_checkout(merchant, lines)
        return
    with pytest.raises(MandateRefused) as refused:
        mandate.check_checkout(merchant, lines)
    assert refused.value.code is AP2Refusal.CONSTRAINT_UNMET


def test_an_unknown_checkout_constraint_fails() -> None:
    mandate = OpenCheckoutMandate(({"type": "checkout.shipping"},), NOW + timedelta(hours=1))
    with pytest.raises(MandateRefused) as refused:
        mandate.check_checkout("m1", [("a", 1)])
    assert refused.value.code is AP2Refusal.CONSTRAINT_UNKNOWN
