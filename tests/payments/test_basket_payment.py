"""Baskets at the payment provider: one approval over several merchants' carts, all paid or none,
and never over the IAC's total under concurrent baskets and payments (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers.basket import MARKET, Baskets, approve_basket, basket_world
from tests.helpers.payments import AGENT, MERCHANT, World, sign_approval
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.terms import DelegationMode
from trustcart.payments import ledger_store
from trustcart.payments.errors import PaymentProblem
from trustcart.payments.receipts import verify_receipt
from trustcart.store.db import Database
from trustcart.store.payments import PaymentRow

P = PaymentProblem


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


@pytest.fixture
def baskets(db: Database, clock: FixedClock) -> Baskets:
    return basket_world(db, clock)


def _paid_orders(world: World) -> list[tuple[str, str, int]]:
    with world.db.transaction() as session:
        rows = session.execute(
            select(PaymentRow.merchant_id, PaymentRow.out_trade_no, PaymentRow.amount_minor)
        ).all()
    return sorted((r[0], r[1], r[2]) for r in rows)


# -- paid together ------------------------------------------------------------------------------


def test_one_approval_pays_every_cart_each_with_its_own_receipt(baskets: Baskets) -> None:
    carts = baskets.hotpot()
    body = baskets.request(carts)
    outcome = baskets.pay(body, key="k-hotpot")
    assert outcome.ok, outcome.body
    assert outcome.body["amount"] == cny("180.00").to_json()
    assert outcome.body["policy"] == "all-or-nothing"
    payments = outcome.body["payments"]
    assert [p["merchant_id"] for p in payments] == [MERCHANT, MARKET]
    for cart, payment in zip(carts, payments, strict=True):
        receipt = verify_receipt(
            payment["receipt"], {baskets.world.psp_key.kid: baskets.world.psp_key.public}
        )
        assert receipt["cart_digest"] == jcs_digest(peek_payload(cart))
        assert receipt["mode"] == "L2"
    assert baskets.balance() == cny("820.00")
    with baskets.world.db.transaction() as session:
        ledger_store.check_balanced(session)
    # A retry with the same key replays the answer and pays nothing more.
    again = baskets.pay(body, key="k-hotpot")
    assert again.replayed
    assert again.body == outcome.body
    assert baskets.balance() == cny("820.00")


def test_the_approval_is_over_the_set_whatever_the_order_of_the_carts(baskets: Baskets) -> None:
    carts = baskets.hotpot()
    approval = approve_basket(baskets.world.alice, carts, baskets.world.now)
    outcome = baskets.pay(baskets.request(list(reversed(carts)), approval=approval))
    assert outcome.ok, outcome.body


# -- refused: nothing at all is paid ----------------------------------------------------------


def test_a_cart_outside_the_approved_set_pays_nothing(baskets: Baskets) -> None:
    carts = baskets.hotpot()
    approval = approve_basket(baskets.world.alice, carts, baskets.world.now)
    swapped = [carts[0], baskets.cart(MARKET, "60.00")]  # same amount, another order
    before = baskets.world.snapshot()
    assert baskets.pay(baskets.request(swapped, approval=approval)).code == P.APPROVAL_MISMATCH
    assert baskets.pay(baskets.request(carts[:1], approval=approval)).code == P.APPROVAL_MISMATCH
    assert baskets.world.snapshot() == before


@pytest.mark.parametrize(
    ("forged", "code"),
    [
        ({"amount": {"amount": "1.00", "currency": "CNY"}}, P.AMOUNT_MISMATCH),
        ({"delegation_id": "dlg_other"}, P.APPROVAL_MISMATCH),
        ({"cart_count": 3}, P.APPROVAL_MISMATCH),
        ({"policy": "best-effort"}, P.APPROVAL_INVALID),
        ({"approved_at": "2020-01-01T00:00:00Z"}, P.APPROVAL_INVALID),
    ],
)
def test_a_basket_approval_that_says_something_else_pays_nothing(
    baskets: Baskets, forged: dict[str, Any], code: str
) -> None:
    carts = baskets.hotpot()
    approval = approve_basket(baskets.world.alice, carts, baskets.world.now, **forged)
    before = baskets.world.snapshot()
    assert baskets.pay(baskets.request(carts, approval=approval)).code == code
    assert baskets.world.snapshot() == before


def test_an_approval_not_signed_by_the_person_pays_nothing(baskets: Baskets) -> None:
    carts = baskets.hotpot()
    stranger = approve_basket(SigningKey.generate(), carts, baskets.world.now)
    before = baskets.world.snapshot()
    assert baskets.pay(baskets.request(carts, approval=stranger)).code == P.APPROVAL_INVALID
    single = sign_approval(baskets.world.alice, carts[0], baskets.world.now)  # not a basket's
    assert baskets.pay(baskets.request(carts, approval=single)).code == P.APPROVAL_INVALID
    assert baskets.world.snapshot() == before


def test_one_cart_already_paid_means_the_other_is_not_paid_either(baskets: Baskets) -> None:
    carts = baskets.hotpot("50.00", "60.00")
    assert baskets.world.pay(baskets.world.request(carts[0])).ok  # paid alone first
    before = baskets.world.snapshot()
    outcome = baskets.pay(baskets.request(carts))
    assert outcome.code == P.ALREADY_PAID
    assert outcome.body["out_trade_no"] == peek_payload(carts[0])["out_trade_no"]
    assert baskets.world.snapshot() == before
    assert [o[0] for o in _paid_orders(baskets.world)] == [MERCHANT]


def test_one_expired_cart_means_nothing_is_paid(baskets: Baskets) -> None:
    carts = [baskets.cart(MERCHANT, "20.00"), baskets.cart(MARKET, "20.00", lock_minutes=1)]
    baskets.world.clock.advance(timedelta(minutes=2))
    before = baskets.world.snapshot()
    assert baskets.pay(baskets.request(carts)).code == P.CART_EXPIRED
    assert baskets.world.snapshot() == before


def test_a_basket_over_the_iac_total_pays_nothing(baskets: Baskets) -> None:
    carts = baskets.hotpot("150.00", "60.00")  # 210.00 > 200.00
    before = baskets.world.snapshot()
    assert baskets.pay(baskets.request(carts)).code == P.OVER_BUDGET
    assert baskets.world.snapshot() == before


def test_the_same_order_twice_is_not_a_basket(baskets: Baskets) -> None:
    cart = baskets.cart(MERCHANT, "20.00")
    other = baskets.cart(MARKET, "20.00")
    approval = approve_basket(baskets.world.alice, [cart, other], baskets.world.now)
    assert baskets.pay(baskets.request([cart, cart], approval=approval)).code == P.BASKET_INVALID
    assert _paid_orders(baskets.world) == []


def test_a_specified_iac_cannot_pay_a_basket(db: Database, clock: FixedClock) -> None:
    baskets = basket_world(db, clock, delegation_mode=DelegationMode.SPECIFIED)
    assert baskets.pay(baskets.request(baskets.hotpot("20.00", "20.00"))).code == P.MODE_NOT_ALLOWED
    assert _paid_orders(baskets.world) == []


@pytest.mark.parametrize(
    "body",
    [
        {"carts": []},
        {"carts": "not a list"},
        {"carts": ["x"] * 11},
        {"extra": 1},
        {"approval": ""},
    ],
)
def test_malformed_basket_requests_are_refused(baskets: Baskets, body: dict[str, Any]) -> None:
    request = {**baskets.request(baskets.hotpot("20.00", "20.00")), **body}
    assert baskets.pay(request).code == P.REQUEST_INVALID
    assert _paid_orders(baskets.world) == []


# -- concurrency: all or nothing, and never over the IAC ---------------------------------------


def test_concurrent_baskets_and_payments_never_pass_the_iac_total(baskets: Baskets) -> None:
    # Six two-merchant baskets of 120.00 and six single payments of 30.00 race for 200.00.
    basket_carts = [baskets.hotpot("70.00", "50.00") for _ in range(6)]
    bodies = [baskets.request(carts) for carts in basket_carts]
    singles = [baskets.world.request(baskets.cart(MERCHANT, "30.00")) for _ in range(6)]
    outcomes: list[tuple[str, Any]] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def run(kind: str, index: int) -> None:
        start.wait()
        if kind == "basket":
            outcome = baskets.world.provider.submit_basket(
                agent_id=AGENT, idempotency_key=f"race-b{index}", request=bodies[index]
            )
        else:
            outcome = baskets.world.provider.submit_payment(
                agent_id=AGENT, idempotency_key=f"race-p{index}", request=singles[index]
            )
        with lock:
            outcomes.append((kind, outcome))

    threads = [
        threading.Thread(target=run, args=(k, i)) for k in ("basket", "single") for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 12
    refused = {str(o.code) for _, o in outcomes if not o.ok}
    assert refused <= {P.OVER_BUDGET}
    paid = _paid_orders(baskets.world)
    total = sum(amount for _, _, amount in paid)
    assert total <= 20000
    assert baskets.balance() == cny("1000.00") - Money(total, "CNY")
    # Each basket is paid whole or not at all.
    paid_orders = {order for _, order, _ in paid}
    for carts, (_, outcome) in zip(
        basket_carts, [o for o in outcomes if o[0] == "basket"], strict=False
    ):
        del outcome
        orders = {peek_payload(c)["out_trade_no"] for c in carts}
        assert len(orders & paid_orders) in (0, 2)
    basket_wins = sum(1 for kind, o in outcomes if kind == "basket" and o.ok)
    single_wins = sum(1 for kind, o in outcomes if kind == "single" and o.ok)
    assert basket_wins * 12000 + single_wins * 3000 == total
    assert basket_wins <= 1  # two baskets would be 240.00
    assert total > 20000 - 3000  # no room was left for another single payment
    with baskets.world.db.transaction() as session:
        ledger_store.check_balanced(session)
