"""AP2 v0.2 mandates from trustcart's wallet paid by trustcart's PSP (``submit_ap2_payment``),
on SQLite and PostgreSQL, and every tampered copy refused with nothing posted to the ledger."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from tests.helpers.ap2 import AP2Parties, key_binding_jwt, make_ap2_parties
from tests.helpers.payments import MERCHANT, PSP_ID, World, make_world
from trustcart.core.clock import FixedClock
from trustcart.crypto.jws import peek_payload, verify_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.ap2 import schemas
from trustcart.delegation.ap2.errors import AP2Refusal
from trustcart.delegation.ap2.schemas import AP2Schema
from trustcart.delegation.ap2.sdjwt import sha256_b64url
from trustcart.payments.ap2_payments import RECEIPT_TYP
from trustcart.payments.errors import PaymentProblem
from trustcart.store.db import Database

R = AP2Refusal


@pytest.fixture
def parties(db: Database, clock: FixedClock) -> AP2Parties:
    return make_ap2_parties(make_world(db, clock))


def _refused(parties: AP2Parties, body: dict[str, object], reason: AP2Refusal) -> None:
    before = parties.world.snapshot()
    outcome = parties.pay(body)
    assert outcome.status == 403, outcome.body
    assert outcome.body["code"] == PaymentProblem.AP2_MANDATE_REFUSED
    assert outcome.body["reason"] == reason.value
    receipt = _receipt(parties.world, outcome.body["ap2_payment_receipt"])
    assert (receipt["status"], receipt["error"]) == ("Error", reason.value)
    assert parties.world.snapshot() == before  # nothing posted, no payment, no spend


def _receipt(world: World, token: str) -> dict[str, object]:
    payload = verify_compact(token, {world.psp_key.kid: world.psp_key.public}, typ=RECEIPT_TYP)
    schemas.validate(AP2Schema.PAYMENT_RECEIPT, payload.payload)
    return payload.payload


def test_wallet_mandates_pay_through_the_ordinary_psp_path(parties: AP2Parties) -> None:
    world = parties.world
    cart = world.cart(unit_price="18.00")
    body = parties.body(parties.issue(cart))
    outcome = parties.pay(body)
    assert outcome.status == 200, outcome.body
    assert peek_payload(outcome.body["receipt"])["mode"] == "L1"  # the ACT receipt, as ever
    assert world.provider.merchant_balance(MERCHANT, "CNY").amount_str() == "18.00"
    receipt = _receipt(world, outcome.body["ap2_payment_receipt"])
    assert receipt == {
        "status": "Success",
        "iss": PSP_ID,
        "iat": int(world.now.timestamp()),
        "reference": sha256_b64url(body["payment_mandate"]),
        "payment_id": outcome.body["trade_no"],
        "psp_confirmation_id": outcome.body["trade_no"],
        "network_confirmation_id": f"{PSP_ID}:ledger:{outcome.body['trade_no']}",
    }
    # The same request under the same key replays the same answer, receipt included.
    again = parties.pay(body)
    assert again.replayed
    assert again.body == outcome.body
    assert world.provider.merchant_balance(MERCHANT, "CNY").amount_str() == "18.00"


def test_a_mandate_for_another_cart_is_refused(parties: AP2Parties) -> None:
    world = parties.world
    first, second = world.cart(unit_price="18.00"), world.cart(unit_price="18.00")
    checkout = parties.body(parties.issue(first))
    payment = parties.body(parties.issue(second))
    body = {**checkout, "payment_mandate": payment["payment_mandate"]}
    _refused(parties, body, R.CHECKOUT_HASH_MISMATCH)


def test_a_changed_amount_is_refused(parties: AP2Parties) -> None:
    cart = parties.world.cart(unit_price="18.00")
    body = parties.body(parties.issue(cart))
    # Rewrite the disclosed amount in the issuer-signed payload: the signature no longer holds.
    issuer_jwt, *rest = body["payment_mandate"].split("~")
    header, payload, signature = issuer_jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["payment_amount"]["amount"] = 1
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    body["payment_mandate"] = "~".join([f"{header}.{forged}.{signature}", *rest])
    _refused(parties, body, R.SIGNATURE_INVALID)


def test_a_key_binding_for_another_audience_is_refused(parties: AP2Parties) -> None:
    from trustcart.assistant.ap2_wallet import present_mandates

    cart = parties.world.cart()
    mandates = parties.issue(cart)
    body = parties.body(mandates)
    other = present_mandates(
        mandates,
        agent_key=parties.agent_key,
        psp_id="psp:other",
        request_id="req_ap2_1",
        now=parties.now,
    )
    _refused(parties, {**body, "payment_mandate": other.payment}, R.KEY_BINDING_INVALID)


def test_a_key_binding_by_another_key_is_refused(parties: AP2Parties) -> None:
    cart = parties.world.cart()
    mandates = parties.issue(cart, agent_public=SigningKey.generate("ES256").public)
    _refused(parties, parties.body(mandates), R.SIGNATURE_INVALID)


def test_an_expired_mandate_is_refused(parties: AP2Parties, clock: FixedClock) -> None:
    cart = parties.world.cart(lock_minutes=60)
    mandates = parties.issue(cart, lifetime=timedelta(minutes=1))
    clock.advance(timedelta(minutes=2))  # the cart is still locked; the mandate is not valid
    _refused(parties, parties.body(mandates), R.EXPIRED)


def test_a_removed_disclosure_is_refused(parties: AP2Parties) -> None:
    body = parties.body(parties.issue(parties.world.cart()))
    issuer_jwt, *disclosures, kb = body["payment_mandate"].split("~")
    body["payment_mandate"] = "~".join([issuer_jwt, *disclosures[1:], kb])
    _refused(parties, body, R.SIGNATURE_INVALID)  # the KB-JWT's sd_hash covers them all


def test_an_added_disclosure_is_refused_even_when_the_agent_rebinds(
    parties: AP2Parties,
) -> None:
    # The agent adds a disclosure no digest references and signs a fresh KB-JWT over it all:
    # the KB-JWT verifies, the disclosure must still be refused, not ignored.
    body = parties.body(parties.issue(parties.world.cart()))
    issuer_jwt, *disclosures, _ = body["payment_mandate"].split("~")
    extra = base64.urlsafe_b64encode(b'["c2FsdHNhbHQ", "risk_data", {"x": 1}]').decode()
    unbound = "~".join([issuer_jwt, *disclosures, extra.rstrip("="), ""])
    body["payment_mandate"] = unbound + key_binding_jwt(
        unbound, parties.agent_key, audience=PSP_ID, nonce="req_ap2_1", iat=parties.now
    )
    _refused(parties, body, R.MALFORMED)


def test_a_mandate_signed_by_a_key_not_published_for_the_delegator_is_refused(
    parties: AP2Parties,
) -> None:
    stranger = SigningKey.generate("ES256")
    parties.world.directory.register(stranger.public, party_id="user:mallory", role="delegator")
    mandates = parties.issue(parties.world.cart(), mandate_key=stranger)
    _refused(parties, parties.body(mandates), R.ISSUER_UNKNOWN)


def test_a_mandate_wider_than_the_iac_is_refused(db: Database, clock: FixedClock) -> None:
    # The IAC lets only one merchant be paid: a mandate naming another payee is refused even
    # with a cart from that payee... which the IAC refuses first; so the mandate outliving the
    # IAC is the widening tested here.
    parties = make_ap2_parties(
        make_world(db, clock, validity_end=clock.now() + timedelta(minutes=5))
    )
    cart = parties.world.cart(lock_minutes=30)
    mandates = parties.issue(cart)
    # The wallet never issues past the IAC; a foreign wallet might: re-issue by hand.
    from trustcart.core.money import Money
    from trustcart.delegation.ap2 import sdjwt
    from trustcart.delegation.ap2.mandates import (
        DISCLOSABLE,
        MandateType,
        payment_mandate_claims,
    )

    claims = payment_mandate_claims(
        checkout_jwt=cart,
        payee={"id": MERCHANT, "name": "Tea House"},
        amount=Money.parse("18.00", "CNY"),
        instrument={"id": "trustcart-balance", "type": "trustcart.psp_account"},
        issued_at=clock.now(),
        expires_at=clock.now() + timedelta(minutes=20),
    )
    wide = sdjwt.issue(
        claims,
        disclosable=DISCLOSABLE[MandateType.PAYMENT],
        issuer_key=parties.mandate_key,
        holder=parties.agent_key.public,
    )
    body = parties.body(mandates)
    presented = sdjwt.present(
        wide, holder_key=parties.agent_key, audience=PSP_ID, nonce="req_ap2_1", now=clock.now()
    )
    _refused(parties, {**body, "payment_mandate": presented}, R.WIDER_THAN_IAC)


def test_a_mandate_with_another_amount_than_the_cart_is_refused(parties: AP2Parties) -> None:
    from trustcart.core.money import Money
    from trustcart.delegation.ap2 import sdjwt
    from trustcart.delegation.ap2.mandates import DISCLOSABLE, MandateType, payment_mandate_claims

    cart = parties.world.cart(unit_price="18.00")
    claims = payment_mandate_claims(
        checkout_jwt=cart,
        payee={"id": MERCHANT, "name": "Tea House"},
        amount=Money.parse("1.00", "CNY"),
        instrument={"id": "trustcart-balance", "type": "trustcart.psp_account"},
        issued_at=parties.now,
        expires_at=parties.now + timedelta(minutes=10),
    )
    issued = sdjwt.issue(
        claims,
        disclosable=DISCLOSABLE[MandateType.PAYMENT],
        issuer_key=parties.mandate_key,
        holder=parties.agent_key.public,
    )
    body = parties.body(parties.issue(cart))
    presented = sdjwt.present(
        issued, holder_key=parties.agent_key, audience=PSP_ID, nonce="req_ap2_1", now=parties.now
    )
    _refused(parties, {**body, "payment_mandate": presented}, R.CHECKOUT_MISMATCH)


def test_a_replayed_mandate_under_another_key_pays_nothing_twice(parties: AP2Parties) -> None:
    world = parties.world
    body = parties.body(parties.issue(world.cart(unit_price="18.00")))
    assert parties.pay(body, key="idem_a").status == 200
    before = world.snapshot()
    again = parties.pay(body, key="idem_b")
    assert again.code == PaymentProblem.ALREADY_PAID
    assert world.snapshot() == before


def test_a_mandate_for_a_cart_of_another_delegation_is_refused(parties: AP2Parties) -> None:
    cart = parties.world.cart(delegation_id="dlg_other")
    outcome = parties.pay(parties.body(parties.issue(cart)))
    assert outcome.code == PaymentProblem.CART_INVALID
