"""The payment provider: binding, L1/L2 payments, refusals that move no money, idempotency,
cumulative budgets under concurrency, refunds, receipts and merchant notices."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers.payments import (
    ACCOUNT,
    AGENT,
    MERCHANT,
    PSP_ID,
    World,
    make_iac,
    make_world,
    sign_approval,
    sign_binding,
    sign_cart,
)
from trustcart.core.clock import FixedClock, format_instant
from trustcart.core.money import Money
from trustcart.core.typs import BINDING_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_payload, sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.iac import verify_iac
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.status import sign_status
from trustcart.delegation.terms import CommerceConstraints
from trustcart.payments import idempotency, ledger_store
from trustcart.payments.checks import check_status
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.payments.receipts import verify_receipt
from trustcart.store.db import Database
from trustcart.store.outbox import OutboxRow
from trustcart.store.payments import PaymentTokenRow

P = PaymentProblem


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


@pytest.fixture
def world(db: Database, clock: FixedClock) -> World:
    return make_world(db, clock)


# -- success paths --------------------------------------------------------------------------


def test_l2_payment_moves_money_and_returns_a_signed_receipt(world: World) -> None:
    cart = world.cart(unit_price="18.00")
    outcome = world.pay(world.request(cart))
    assert outcome.status == 200, outcome.body
    receipt = verify_receipt(outcome.body["receipt"], {world.psp_key.kid: world.psp_key.public})
    assert receipt == {
        "trade_no": outcome.body["trade_no"],
        "out_trade_no": "ord_1",
        "merchant_id": MERCHANT,
        "amount": {"amount": "18.00", "currency": "CNY"},
        "mode": "L2",
        "delegation_id": "dlg_test1",
        "agent_id": AGENT,
        "cart_digest": jcs_digest(peek_payload(cart)),
        "status": "SUCCESS",
        "paid_at": format_instant(world.now),
        "budget": {
            "spent": {"amount": "18.00", "currency": "CNY"},
            "remaining": {"amount": "62.00", "currency": "CNY"},
            "count": 1,
            "quantity": 1,
        },
    }
    assert world.provider.balance(ACCOUNT) == cny("182.00")
    assert world.provider.merchant_balance(MERCHANT, "CNY") == cny("18.00")
    with world.db.transaction() as session:
        ledger_store.check_balanced(session)
    # The merchant got a notice carrying the same receipt.
    assert world.notifier.delivered == [
        (
            MERCHANT,
            {
                "type": "payment.succeeded",
                "trade_no": outcome.body["trade_no"],
                "out_trade_no": "ord_1",
                "merchant_id": MERCHANT,
                "amount": {"amount": "18.00", "currency": "CNY"},
                "paid_at": format_instant(world.now),
                "receipt": outcome.body["receipt"],
            },
        )
    ]


def test_receipt_signature_fails_with_another_key(world: World) -> None:
    outcome = world.pay(world.request())
    other = SigningKey.generate()
    with pytest.raises(InvalidSignature):
        verify_receipt(outcome.body["receipt"], {world.psp_key.kid: other.public})


def test_l1_payment_with_the_users_approval_of_this_exact_cart(world: World) -> None:
    cart = world.cart(unit_price="25.00")
    outcome = world.pay(
        world.request(cart, mode="L1", approval=sign_approval(world.alice, cart, world.now))
    )
    assert outcome.status == 200, outcome.body
    assert peek_payload(outcome.body["receipt"])["mode"] == "L1"
    assert world.provider.balance(ACCOUNT) == cny("175.00")


def test_budget_in_receipts_accumulates_and_stops_at_the_total(world: World) -> None:
    spent = []
    for _ in range(2):
        outcome = world.pay(world.request(world.cart(unit_price="30.00")))
        assert outcome.status == 200
        spent.append(peek_payload(outcome.body["receipt"])["budget"])
    assert spent[1] == {
        "spent": {"amount": "60.00", "currency": "CNY"},
        "remaining": {"amount": "20.00", "currency": "CNY"},
        "count": 2,
        "quantity": 2,
    }
    before = world.snapshot()
    refused = world.pay(world.request(world.cart(unit_price="30.00")))
    assert refused.code == P.OVER_BUDGET
    assert world.snapshot() == before
    # 20.00 still fits.
    assert world.pay(world.request(world.cart(unit_price="20.00"))).status == 200


# -- refusals: each leaves the ledger, payments and budgets exactly as they were -------------

Mutation = Callable[[World], dict[str, Any]]


def _other_delegator_iac(w: World) -> dict[str, Any]:
    return w.request(iac=make_iac(w.now, key=SigningKey.generate()))


def _other_delegation(w: World) -> dict[str, Any]:
    return w.request(iac=make_iac(w.now, delegation_id="dlg_other"))


def _revoked_token(w: World) -> dict[str, Any]:
    with w.db.transaction() as session:
        token_id = session.execute(select(PaymentTokenRow.token_id)).scalar_one()
    assert w.provider.revoke_token(token_id)
    return w.request()


def _status(status: CredentialStatus) -> Mutation:
    def mutate(w: World) -> dict[str, Any]:
        w.status.status["dlg_test1"] = status
        return w.request()

    return mutate


def _status_down(w: World) -> dict[str, Any]:
    w.status.down = True
    return w.request()


def _status_stale(w: World) -> dict[str, Any]:
    w.status.stale = True
    return w.request()


def _unregistered_merchant_key(w: World) -> dict[str, Any]:
    return w.request(sign_cart(SigningKey.generate(), w.now))


def _other_merchants_key(w: World) -> dict[str, Any]:
    rogue = SigningKey.generate()
    w.directory.register(rogue.public, party_id="m_rogue", role="merchant")
    return w.request(sign_cart(rogue, w.now, merchant_id=MERCHANT))  # claims to be MERCHANT


def _agent_key_signs_cart(w: World) -> dict[str, Any]:
    agent = SigningKey.generate()
    w.directory.register(agent.public, party_id=MERCHANT, role="agent")  # right id, wrong role
    return w.request(sign_cart(agent, w.now))


def _cart_not_adding_up(w: World) -> dict[str, Any]:
    return w.request(w.cart(total={"amount": "1.00", "currency": "CNY"}))


def _expired_cart(w: World) -> dict[str, Any]:
    cart = w.cart(lock_minutes=5)
    w.clock.advance(timedelta(minutes=6))
    return w.request(cart)


def _l1_approval_by_stranger(w: World) -> dict[str, Any]:
    cart = w.cart()
    return w.request(cart, mode="L1", approval=sign_approval(SigningKey.generate(), cart, w.now))


def _l1_approval_of_other_cart(w: World) -> dict[str, Any]:
    other = w.cart(unit_price="5.00")
    return w.request(w.cart(), mode="L1", approval=sign_approval(w.alice, other, w.now))


def _l1_approval_other_amount(w: World) -> dict[str, Any]:
    cart = w.cart()
    approval = sign_approval(w.alice, cart, w.now, amount={"amount": "1.00", "currency": "CNY"})
    return w.request(cart, mode="L1", approval=approval)


def _l1_approval_signed_as_cart(w: World) -> dict[str, Any]:
    cart = w.cart()
    payload = peek_payload(sign_approval(w.alice, cart, w.now))
    return w.request(cart, mode="L1", approval=sign_compact(payload, w.alice, typ="act-cart+jwt"))


def _revoked_merchant_key(w: World) -> dict[str, Any]:
    cart = w.cart()
    w.directory.revoke(w.merchant_key.kid)
    return w.request(cart)


REFUSALS: dict[str, tuple[Mutation, PaymentProblem]] = {
    "cart by a revoked merchant key": (_revoked_merchant_key, P.CART_INVALID),
    "garbage token": (lambda w: w.request(token="ptk_" + "A" * 43), P.TOKEN_INVALID),
    "malformed token": (lambda w: w.request(token="not-a-token"), P.TOKEN_INVALID),
    "revoked token": (_revoked_token, P.TOKEN_INVALID),
    "IAC by someone else": (_other_delegator_iac, P.IAC_INVALID),
    "IAC tampered": (lambda w: w.request(iac=make_iac(w.now).token[:-4] + "AAAA"), P.IAC_INVALID),
    "IAC of another delegation": (_other_delegation, P.TOKEN_DELEGATION_MISMATCH),
    "delegation_id field differs": (
        lambda w: w.request(delegation_id="dlg_x"),
        P.TOKEN_DELEGATION_MISMATCH,
    ),
    "suspended": (_status(CredentialStatus.SUSPENDED), P.IAC_SUSPENDED),
    "revoked": (_status(CredentialStatus.REVOKED), P.IAC_REVOKED),
    "expired status": (_status(CredentialStatus.EXPIRED), P.IAC_EXPIRED),
    "status service down": (_status_down, P.STATUS_UNAVAILABLE),
    "stale status": (_status_stale, P.STATUS_UNAVAILABLE),
    "cart by unknown key": (_unregistered_merchant_key, P.CART_INVALID),
    "cart by another merchant": (_other_merchants_key, P.CART_INVALID),
    "cart by a non-merchant key": (_agent_key_signs_cart, P.CART_INVALID),
    "cart does not add up": (_cart_not_adding_up, P.CART_INVALID),
    "cart for another PSP": (lambda w: w.request(w.cart(psp_id="psp:other")), P.CART_INVALID),
    "cart for another delegation": (
        lambda w: w.request(w.cart(delegation_id="dlg_x")),
        P.CART_INVALID,
    ),
    "cart for another agent": (lambda w: w.request(w.cart(agent_id="agent:x")), P.CART_INVALID),
    "cart price lock expired": (_expired_cart, P.CART_EXPIRED),
    "cart in USD": (
        lambda w: w.request(
            sign_cart(w.merchant_key, w.now, total={"amount": "18.00", "currency": "USD"})
        ),
        P.CART_INVALID,
    ),
    "amount differs from cart": (
        lambda w: w.request(amount={"amount": "1.00", "currency": "CNY"}),
        P.AMOUNT_MISMATCH,
    ),
    "over single limit": (lambda w: w.request(w.cart(unit_price="35.00")), P.OVER_SINGLE_LIMIT),
    "category": (
        lambda w: w.request(w.cart(category="electronics/phones")),
        P.CATEGORY_NOT_ALLOWED,
    ),
    "quantity": (lambda w: w.request(w.cart(unit_price="5.00", quantity=4)), P.OVER_QUANTITY),
    "payment method": (lambda w: w.request(w.cart(method_id="credit-card")), P.METHOD_NOT_ALLOWED),
    "L1 without approval": (lambda w: w.request(mode="L1"), P.APPROVAL_MISSING),
    "L1 approval by stranger": (_l1_approval_by_stranger, P.APPROVAL_INVALID),
    "L1 approval of other cart": (_l1_approval_of_other_cart, P.APPROVAL_MISMATCH),
    "L1 approval of other amount": (_l1_approval_other_amount, P.AMOUNT_MISMATCH),
    "L1 approval with wrong typ": (_l1_approval_signed_as_cart, P.APPROVAL_INVALID),
    "unknown mode": (lambda w: w.request(mode="L4"), P.REQUEST_INVALID),
    "unknown field": (lambda w: w.request(card_number="4111"), P.REQUEST_INVALID),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusal_moves_no_money(world: World, case: str) -> None:
    mutate, code = REFUSALS[case]
    body = mutate(world)
    before = world.snapshot()
    outcome = world.pay(body)
    assert outcome.status >= 400
    assert outcome.code == code, outcome.body
    assert world.snapshot() == before
    assert world.notifier.delivered == []


def test_signed_party_must_be_the_tokens_agent(world: World) -> None:
    before = world.snapshot()
    outcome = world.pay(world.request(), agent_id="agent:thief")
    assert outcome.code == P.TOKEN_AGENT_MISMATCH
    assert world.snapshot() == before


def test_expired_delegation_refused_after_its_window(world: World) -> None:
    world.clock.advance(timedelta(days=7, seconds=1))
    before = world.snapshot()
    # The token expires with the IAC, so the first check to fail is the token.
    assert world.pay(world.request()).code == P.TOKEN_INVALID
    assert world.snapshot() == before


def test_merchant_outside_allowed_merchants(db: Database, clock: FixedClock) -> None:
    world = make_world(
        db,
        clock,
        commerce=CommerceConstraints(max_single=cny("30.00"), allowed_merchants=("m_other",)),
    )
    before = world.snapshot()
    assert world.pay(world.request()).code == P.MERCHANT_NOT_ALLOWED
    assert world.snapshot() == before


def test_insufficient_funds(db: Database, clock: FixedClock) -> None:
    world = make_world(db, clock, balance="10.00")
    before = world.snapshot()
    assert world.pay(world.request(world.cart(unit_price="18.00"))).code == (P.INSUFFICIENT_FUNDS)
    assert world.snapshot() == before


def test_an_order_is_paid_only_once(world: World) -> None:
    cart = world.cart()
    assert world.pay(world.request(cart), key="k1").status == 200
    before = world.snapshot()
    second = world.pay(world.request(cart), key="k2")
    assert second.code == P.ALREADY_PAID
    assert world.snapshot() == before


# -- idempotency ------------------------------------------------------------------------------


def test_same_key_same_body_replays_without_a_second_charge(world: World) -> None:
    body = world.request()
    first = world.pay(body, key="idem-1")
    snapshot = world.snapshot()
    again = world.pay(dict(reversed(list(body.items()))), key="idem-1")  # key order irrelevant
    assert (again.status, again.body, again.replayed) == (first.status, first.body, True)
    assert world.snapshot() == snapshot
    assert len(world.notifier.delivered) == 1


def test_same_key_other_body_is_a_conflict(world: World) -> None:
    assert world.pay(world.request(), key="idem-1").status == 200
    before = world.snapshot()
    other = world.pay(world.request(world.cart(unit_price="5.00")), key="idem-1")
    assert (other.status, other.code) == (422, P.IDEMPOTENCY_CONFLICT)
    assert world.snapshot() == before


def test_same_key_from_another_agent_is_another_key(world: World) -> None:
    body = world.request()
    assert world.pay(body, key="shared").status == 200
    # Another agent with the same key does not get the first agent's stored answer.
    assert world.pay(body, key="shared", agent_id="agent:thief").code == P.TOKEN_AGENT_MISMATCH


def test_in_flight_duplicate_gets_409(world: World) -> None:
    body = world.request()
    with world.db.transaction() as session:
        assert (
            idempotency.claim(
                session,
                f"payments:{AGENT}",
                "idem-1",
                idempotency.request_fingerprint(body),
                world.now,
            )
            is None
        )
    before = world.snapshot()
    outcome = world.pay(body, key="idem-1")
    assert (outcome.status, outcome.code) == (409, P.IDEMPOTENCY_IN_FLIGHT)
    assert world.snapshot() == before
    # A claim whose holder died (lease over) may be taken over; nothing of it committed.
    world.clock.advance(timedelta(minutes=2))
    assert world.pay(body, key="idem-1").status == 200


def test_refusals_are_replayed_but_transient_ones_are_not(world: World) -> None:
    over = world.request(world.cart(unit_price="35.00"))
    assert world.pay(over, key="k-over").code == P.OVER_SINGLE_LIMIT
    assert world.pay(over, key="k-over").replayed
    world.status.down = True
    body = world.request()
    assert world.pay(body, key="k-down").code == P.STATUS_UNAVAILABLE
    world.status.down = False
    retried = world.pay(body, key="k-down")
    assert (retried.status, retried.replayed) == (200, False)


def test_missing_or_bad_idempotency_key_is_refused(world: World) -> None:
    before = world.snapshot()
    for key in ("has space", "x" * 256, "ключ"):
        assert world.pay(world.request(), key=key).code == P.IDEMPOTENCY_KEY_MISSING
    assert world.snapshot() == before


# -- concurrency: the cumulative budget holds under parallel payments -------------------------


def test_parallel_payments_never_exceed_the_budget(world: World) -> None:
    carts = [world.cart(unit_price="30.00") for _ in range(6)]
    outcomes: list[Any] = []
    raised: list[BaseException] = []  # a payment must answer, never raise: kept to be shown
    lock = threading.Lock()

    def pay(index: int) -> None:
        try:
            outcome = world.provider.submit_payment(
                agent_id=AGENT, idempotency_key=f"par-{index}", request=world.request(carts[index])
            )
        except BaseException as e:
            with lock:
                raised.append(e)
            raise
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not raised, [repr(e) for e in raised]
    codes = sorted(str(o.code) for o in outcomes if not o.ok)
    assert sum(o.ok for o in outcomes) == 2  # 2 x 30 <= 80 < 3 x 30
    assert codes == [P.OVER_BUDGET] * 4
    assert world.provider.balance(ACCOUNT) == cny("140.00")
    with world.db.transaction() as session:
        ledger_store.check_balanced(session)


# -- binding ----------------------------------------------------------------------------------


def test_binding_returns_an_opaque_token_stored_only_as_a_hash(world: World) -> None:
    token = world.token
    assert token.startswith("ptk_")
    assert ACCOUNT not in token
    with world.db.transaction() as session:
        rows = session.execute(select(PaymentTokenRow)).scalars().all()
        assert all(token not in str(vars(row).values()) for row in rows)


@pytest.mark.parametrize(
    "case",
    [
        "stranger signs",
        "replayed",
        "other account",
        "stale",
        "agent differs from IAC",
        "IAC revoked",
        "IAC not yet valid",
        "garbage",
    ],
)
def test_failed_binding_yields_no_token(world: World, case: str) -> None:
    world.clock.advance(timedelta(seconds=1))  # the fixture bound at T0 with these same bytes
    first = sign_binding(world.alice, world.iac, world.now)
    world.provider.bind(first)
    count = world.token_count()

    def revoked_then_signed() -> str:
        world.status.status["dlg_test1"] = CredentialStatus.REVOKED
        return sign_binding(world.alice, world.iac, world.now)

    cases: dict[str, Callable[[], str]] = {
        "stranger signs": lambda: sign_binding(SigningKey.generate(), world.iac, world.now),
        "replayed": lambda: first,
        "other account": lambda: sign_binding(
            world.alice, world.iac, world.now, account_id="acc_bob"
        ),
        "stale": lambda: sign_binding(world.alice, world.iac, world.now - timedelta(hours=1)),
        "agent differs from IAC": lambda: sign_binding(
            world.alice, world.iac, world.now, agent_id="agent:other"
        ),
        "IAC revoked": revoked_then_signed,
        "IAC not yet valid": lambda: sign_binding(
            world.alice, make_iac(world.now + timedelta(days=1)), world.now
        ),
        "garbage": lambda: "not.a.jws",
    }
    request = cases[case]()
    with pytest.raises(PaymentRefused) as refused:
        world.provider.bind(request)
    assert refused.value.code in {P.BINDING_REFUSED, P.IAC_REVOKED, P.IAC_NOT_YET_VALID}
    assert world.token_count() == count


def test_binding_needs_the_iac_signed_by_the_accounts_delegator(world: World) -> None:
    mallory = SigningKey.generate()
    foreign = make_iac(world.now, key=mallory, delegation_id="dlg_m")
    request = sign_compact(
        {
            "account_id": ACCOUNT,
            "agent_id": AGENT,
            "iac": foreign.token,
            "requested_at": format_instant(world.now),
        },
        world.alice,
        typ=BINDING_TYP,
    )
    with pytest.raises(PaymentRefused) as refused:
        world.provider.bind(request)
    assert refused.value.code == P.IAC_INVALID


# -- refunds ----------------------------------------------------------------------------------


def refund(world: World, trade_no: str, amount: str, *, key: str, merchant: str = MERCHANT) -> Any:
    return world.provider.submit_refund(
        merchant_id=merchant,
        idempotency_key=key,
        request={
            "trade_no": trade_no,
            "amount": {"amount": amount, "currency": "CNY"},
            "reason": "customer request",
        },
    )


def test_refunds_reverse_the_entry_and_never_exceed_the_payment(world: World) -> None:
    trade_no = world.pay(world.request(world.cart(unit_price="20.00"))).body["trade_no"]
    assert refund(world, trade_no, "5.00", key="r1").status == 200
    assert world.provider.balance(ACCOUNT) == cny("185.00")
    before = world.snapshot()
    assert refund(world, trade_no, "15.01", key="r2").code == P.REFUND_EXCEEDS_PAYMENT
    assert refund(world, trade_no, "1.00", key="r3", merchant="m_other").code == (P.UNKNOWN_PAYMENT)
    assert world.snapshot() == before
    full = refund(world, trade_no, "15.00", key="r4")
    assert full.body["payment_status"] == "REFUNDED"
    assert world.provider.balance(ACCOUNT) == cny("200.00")
    assert world.provider.merchant_balance(MERCHANT, "CNY") == cny("0.00")
    with world.db.transaction() as session:
        ledger_store.check_balanced(session)
    # Replay of the same refund request: no second reversal.
    assert refund(world, trade_no, "15.00", key="r4").replayed
    assert world.provider.balance(ACCOUNT) == cny("200.00")


def test_refund_does_not_restore_the_budget(world: World) -> None:
    first = world.pay(world.request(world.cart(unit_price="30.00")))
    world.pay(world.request(world.cart(unit_price="30.00")))
    assert refund(world, first.body["trade_no"], "30.00", key="r1").status == 200
    assert world.pay(world.request(world.cart(unit_price="30.00"))).code == P.OVER_BUDGET


# -- status queries and notices ---------------------------------------------------------------


def test_status_query_is_for_the_agent_and_merchant_only(world: World) -> None:
    paid = world.pay(world.request())
    trade_no = paid.body["trade_no"]
    assert world.provider.payment_status(trade_no, requester_id=AGENT)["status"] == "SUCCESS"
    assert (
        world.provider.find_payment(MERCHANT, "ord_1", requester_id=MERCHANT)["trade_no"]
        == trade_no
    )
    for requester in ("agent:other", PSP_ID):
        with pytest.raises(PaymentRefused) as refused:
            world.provider.payment_status(trade_no, requester_id=requester)
        assert refused.value.code == P.UNKNOWN_PAYMENT


def test_failed_notice_stays_in_the_outbox_and_is_retried(world: World) -> None:
    world.notifier.fail = True
    paid = world.pay(world.request())
    assert paid.status == 200  # the payment stands; the notice is owed
    with world.db.transaction() as session:
        row = session.execute(select(OutboxRow)).scalar_one()  # no log here: the notice only
        assert (row.kind, row.destination, row.subject) == (
            "notice",
            MERCHANT,
            paid.body["trade_no"],
        )
        assert (row.attempts, row.delivered_at, row.state) == (1, None, "pending")
        assert row.next_attempt_at > world.now  # retried after a backoff
        assert row.last_error
    world.notifier.fail = False
    assert world.provider.deliver_pending_notices() == 1
    assert world.provider.deliver_pending_notices() == 0
    assert [n["trade_no"] for _, n in world.notifier.delivered] == [paid.body["trade_no"]]


def test_l2_needs_an_iac_the_user_confirmed(world: World) -> None:
    payload = world.iac.payload()
    del payload["user_confirmation_method"], payload["user_confirmation_timestamp"]
    unconfirmed = sign_compact(payload, world.alice, typ="act-iac+jwt")
    iac = verify_iac(unconfirmed, {world.alice.kid: world.alice.public})
    world.clock.advance(timedelta(seconds=1))
    token = world.bind(iac)
    before = world.snapshot()
    assert world.pay(world.request(iac=iac, token=token)).code == P.MODE_NOT_ALLOWED
    assert world.snapshot() == before
    # L1 with the user's approval of the exact cart is still possible under it.
    cart = world.cart()
    approval = sign_approval(world.alice, cart, world.now)
    assert (
        world.pay(world.request(cart, mode="L1", approval=approval, iac=iac, token=token)).status
        == 200
    )


def test_status_about_another_delegation_is_not_accepted(world: World) -> None:
    iac = world.iac
    other = sign_status("dlg_other", CredentialStatus.ACTIVE, key=world.status.key, now=world.now)
    with pytest.raises(PaymentRefused) as refused:
        check_status(other, iac, world.now)
    assert refused.value.code == P.STATUS_UNAVAILABLE
    fresh = sign_status(
        iac.delegation_id, CredentialStatus.ACTIVE, key=world.status.key, now=world.now
    )
    check_status(fresh, iac, world.now)
    with pytest.raises(PaymentRefused):
        check_status(fresh, iac, world.now + timedelta(seconds=61))
