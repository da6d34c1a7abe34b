"""``POST /ap2/payments`` with open mandates (human not present) over HTTP, SQLite and
PostgreSQL: several payments under one open mandate are paid as L2; each way past the chain's
checks is refused (problem+json, an Error receipt) with nothing charged."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.api.test_ap2_http import post, registered
from tests.helpers.ap2 import AP2Parties, make_ap2_parties
from tests.helpers.ap2_open import TEA, hand_made_payment, issue_open, open_body
from tests.helpers.delegation import make_iac
from tests.helpers.error_docs import PAYMENT_PROVIDER, statuses
from tests.helpers.payments import MERCHANT, PSP_ID, make_world
from trustcart.assistant.ap2_open_wallet import LineItem, OpenMandates, issue_open_mandates
from trustcart.core.clock import FixedClock
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.ap2 import dsdjwt
from trustcart.delegation.terms import DelegationMode
from trustcart.store.db import Database


@pytest.fixture
def parties(db: Database, clock: FixedClock) -> AP2Parties:
    return make_ap2_parties(make_world(db, clock))


def _paid(parties: AP2Parties, body: dict[str, Any], key: str) -> dict[str, Any]:
    answer = post(parties, registered(parties), body, {"Idempotency-Key": key})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _refused(parties: AP2Parties, body: dict[str, Any], key: str = "k-refused") -> dict[str, Any]:
    before = parties.world.snapshot()
    answer = post(parties, registered(parties), body, {"Idempotency-Key": key})
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    problem = dict(answer.json())
    assert answer.status_code in statuses(PAYMENT_PROVIDER, problem["code"])
    assert parties.world.snapshot() == before  # nothing charged, nothing recorded
    return problem


def test_several_payments_under_one_open_mandate_are_paid_as_l2(parties: AP2Parties) -> None:
    opened, world = issue_open(parties), parties.world
    for n in range(3):
        body = open_body(parties, opened, world.cart(unit_price="18.00"), request_id=f"req_{n}")
        answer = _paid(parties, body, f"k{n}")
        assert peek_payload(answer["receipt"])["mode"] == "L2"
        receipt = peek_payload(answer["ap2_payment_receipt"])
        closed_part = body["payment_mandate"].split("~~")[1]
        assert (receipt["status"], receipt["reference"]) == (
            "Success",
            dsdjwt.sha256_b64url(closed_part),
        )
    assert world.provider.merchant_balance(MERCHANT, "CNY").amount_str() == "54.00"


def _other_wallet(parties: AP2Parties) -> SigningKey:
    key = SigningKey.generate("ES256")
    parties.world.directory.register(key.public, party_id="user:mallory", role="delegator")
    return key


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("closed-not-by-cnf", "ap2-mandate-signature-invalid"),
        ("open-not-by-the-person", "ap2-mandate-issuer-unknown"),
        ("amount-out-of-range", "ap2-constraint-unmet"),
        ("payee-not-allowed", "ap2-constraint-unmet"),
        ("unknown-constraint", "ap2-constraint-unknown"),
        ("budget-narrower-than-iac", "ap2-constraint-unknown"),
        ("range-wider-than-iac", "ap2-mandate-wider-than-iac"),
        ("tampered-disclosure", "ap2-mandate-malformed"),
        ("item-not-approved", "ap2-constraint-unmet"),
        ("reference-to-another-checkout", "ap2-constraint-unmet"),
        ("checkout-by-another-wallet-key", "ap2-mandate-key-binding-invalid"),
        ("only-one-chained", "ap2-mandate-malformed"),
    ],
)
def test_a_chain_that_does_not_hold_is_refused_with_nothing_charged(
    parties: AP2Parties, case: str, reason: str
) -> None:
    opened, world = issue_open(parties), parties.world
    cart, agent_key = world.cart(unit_price="18.00"), None
    merchant = {"id": "merchant:other", "name": "Other"}
    if case == "closed-not-by-cnf":
        agent_key = SigningKey.generate("ES256")
    elif case == "open-not-by-the-person":
        opened = hand_made_payment(parties, opened, lambda c: c, key=_other_wallet(parties))
    elif case == "amount-out-of-range":
        opened = hand_made_payment(
            parties,
            opened,
            lambda cs: [
                {**c, "max": 1000} if c["type"] == "payment.amount_range" else c for c in cs
            ],
        )
    elif case == "payee-not-allowed":
        opened = hand_made_payment(
            parties,
            opened,
            lambda cs: [*cs, {"type": "payment.allowed_payees", "allowed": [merchant]}],
        )
    elif case == "unknown-constraint":
        recurrence = {"type": "payment.agent_recurrence", "frequency": "WEEKLY"}
        opened = hand_made_payment(parties, opened, lambda cs: [*cs, recurrence])
    elif case == "budget-narrower-than-iac":
        opened = hand_made_payment(
            parties,
            opened,
            lambda cs: [{**c, "max": 4000} if c["type"] == "payment.budget" else c for c in cs],
        )
    elif case == "range-wider-than-iac":
        opened = hand_made_payment(
            parties,
            opened,
            lambda cs: [
                {**c, "max": 9000} if c["type"] == "payment.amount_range" else c for c in cs
            ],
        )
    elif case == "item-not-approved":  # the person approved another product
        opened = issue_open(parties, (LineItem("line_1", (("p_other", "Other tea"),), 1),))
    elif case == "reference-to-another-checkout":  # the payment of another open set
        opened = OpenMandates(opened.checkout, issue_open(parties).payment)
    elif case == "checkout-by-another-wallet-key":  # a second key of the same person
        second = SigningKey.generate("ES256")
        world.directory.register(second.public, party_id="user:alice", role="delegator")
        other = issue_open_mandates(
            world.iac,
            (TEA,),
            mandate_key=second,
            agent_key=parties.agent_key.public,
            now=parties.now,
        )
        opened = OpenMandates(other.checkout, opened.payment)
    body = open_body(parties, opened, cart, request_id="req_1", agent_key=agent_key)
    if case == "only-one-chained":  # a human-present checkout mandate with an open payment one
        body["checkout_mandate"] = parties.body(parties.issue(cart))["checkout_mandate"]
    if case == "tampered-disclosure":  # the closed mandate's amount, changed after signing
        head, disclosure = body["payment_mandate"].rstrip("~").rsplit("~", maxsplit=1)
        salt, content = dsdjwt.decoded(disclosure)
        content["payment_amount"]["amount"] = 100
        body["payment_mandate"] = f"{head}~{dsdjwt._json_b64([salt, content])}~"
    problem = _refused(parties, body)
    assert (problem["code"], problem["reason"]) == ("ap2-mandate-refused", reason), problem[
        "detail"
    ]
    assert peek_payload(problem["ap2_payment_receipt"])["status"] == "Error"


def test_the_budget_is_the_iacs_counted_over_every_payment(parties: AP2Parties) -> None:
    opened, world = issue_open(parties), parties.world  # IAC: 30.00 each, 80.00 in total
    for n in range(2):
        cart = world.cart(unit_price="30.00")
        _paid(parties, open_body(parties, opened, cart, request_id=f"req_{n}"), f"k{n}")
    cart = world.cart(unit_price="30.00")
    problem = _refused(parties, open_body(parties, opened, cart, request_id="req_3"), "k3")
    assert problem["code"] == "over-budget", problem
    assert world.provider.merchant_balance(MERCHANT, "CNY").amount_str() == "60.00"


def test_a_replayed_chain_is_refused_and_charged_once(parties: AP2Parties) -> None:
    opened, world = issue_open(parties), parties.world
    body = open_body(parties, opened, world.cart(unit_price="18.00"), request_id="req_1")
    _paid(parties, body, "k1")
    problem = _refused(parties, body, "k2")  # the same chain, a new idempotency key
    assert problem["code"] == "already-paid", problem
    assert world.provider.merchant_balance(MERCHANT, "CNY").amount_str() == "18.00"


def test_open_mandates_do_not_pay_under_a_specified_iac(db: Database, clock: FixedClock) -> None:
    """A SPECIFIED IAC pays only the cart the person approved (L1): chains are L2, refused even
    when open mandates with the same limits exist."""
    parties = make_ap2_parties(make_world(db, clock, delegation_mode=DelegationMode.SPECIFIED))
    bounded = make_iac(parties.now)  # the same delegation and limits, BOUNDED
    opened = issue_open_mandates(
        bounded,
        (TEA,),
        mandate_key=parties.mandate_key,
        agent_key=parties.agent_key.public,
        now=parties.now,
    )
    body = open_body(parties, opened, parties.world.cart(unit_price="18.00"), request_id="req_1")
    assert _refused(parties, body)["code"] == "mode-not-allowed"


def test_concurrent_payments_under_one_open_mandate_never_pass_its_budget(
    parties: AP2Parties,
) -> None:
    """Four 30.00 chains at once under a budget of 80.00: two are paid, two refused (the budget
    row is locked per payment, on SQLite and PostgreSQL)."""
    opened, world = issue_open(parties), parties.world
    bodies = [
        open_body(parties, opened, world.cart(unit_price="30.00"), request_id=f"req_c{n}")
        for n in range(4)
    ]
    results: list[Any] = []
    lock = threading.Lock()

    def pay(n: int) -> None:
        outcome = parties.pay(bodies[n], key=f"k_c{n}")
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(str(r.body.get("code", r.status)) for r in results)
    assert codes == ["200", "200", "over-budget", "over-budget"]
    assert world.provider.merchant_balance(MERCHANT, "CNY").amount_str() == "60.00"


def test_a_closed_mandate_without_exp_lives_as_long_as_its_open_one(parties: AP2Parties) -> None:
    """AP2's examples close an open mandate with no ``iat`` / ``exp`` in the closed content."""
    opened, world = issue_open(parties), parties.world
    body = open_body(parties, opened, world.cart(unit_price="18.00"), request_id="req_1")
    open_part, closed = body["payment_mandate"].split("~~")
    content = dsdjwt.decoded(closed.rstrip("~").rsplit("~", maxsplit=1)[1])[1]
    bare = {k: v for k, v in content.items() if k not in ("iat", "exp")}
    body["payment_mandate"] = dsdjwt.close(
        open_part + "~",
        bare,
        agent_key=parties.agent_key,
        audience=PSP_ID,
        nonce="req_1",
        now=parties.now,
    )
    _paid(parties, body, "k1")
    assert world.provider.merchant_balance(MERCHANT, "CNY").amount_str() == "18.00"
