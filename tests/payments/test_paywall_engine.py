"""The engine under both protocols: the transaction table in the store, one delivery per
replay key under concurrency, and the ledger facilitator's refusals (nothing charged)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.helpers.paywall import URL_PRICE_HISTORY, paid_world
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.crypto.errors import InvalidSignature
from trustcart.payments import ledger_store
from trustcart.payments.a402.codec import A402, PAYMENT_NEEDED, PAYMENT_PROOF
from trustcart.payments.a402.errors import IllegalTransactionTransition, ProofRefused
from trustcart.payments.a402.gate import AccessGranted
from trustcart.payments.a402.states import TransactionEvent, TransactionState
from trustcart.payments.paywall.calls import PaidCalls
from trustcart.payments.x402.codec import ExactAuthorization, ExactPayment, ExactRequirements
from trustcart.payments.x402.errors import X402Error, X402Reason
from trustcart.payments.x402.facilitator import LedgerFacilitator
from trustcart.store.db import Database
from trustcart.store.paid_calls import X402SettlementRow

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
_E, _S = TransactionEvent, TransactionState
PAYER = "0x" + "ee" * 20


def _open(calls: PaidCalls, order: str = "a402_1") -> None:
    calls.open(
        out_trade_no=order,
        protocol="a402",
        seller_id="m_teahouse",
        resource_id="price-history",
        requirement="x",
        now=T0,
    )


def test_an_illegal_transition_raises_and_changes_nothing(db: Database) -> None:
    calls = PaidCalls(db)
    _open(calls)
    with pytest.raises(IllegalTransactionTransition):
        calls.advance("a402_1", _E.DELIVERY_COMMITTED, T0)  # not paid yet
    with pytest.raises(IllegalTransactionTransition):  # a validation names its trade
        calls.advance("a402_1", _E.PAYMENT_VALIDATED, T0)
    call = calls.get("a402_1")
    assert call is not None
    assert (call.state, call.trade_no, call.replay_key) == (_S.WAIT_BUYER_PAY, None, None)


def test_the_whole_table_walks_to_finished(db: Database) -> None:
    calls = PaidCalls(db)
    _open(calls)
    calls.advance("a402_1", _E.PAYMENT_VALIDATED, T0, trade_no="trd_1", replay_key="k:trd_1")
    assert calls.advance("a402_1", _E.DELIVERY_COMMITTED, T0) is _S.WAIT_BUYER_RECEIPT
    assert calls.advance("a402_1", _E.FULFILLMENT_CONFIRMED, T0) is _S.TRADE_FINISHED
    for event in _E:
        with pytest.raises(IllegalTransactionTransition):
            calls.advance("a402_1", event, T0)
    assert "k:trd_1" in calls.replay_keys
    assert "k:other" not in calls.replay_keys


def test_one_replay_key_opens_one_order_only(db: Database) -> None:
    calls = PaidCalls(db)
    _open(calls, "a402_1")
    _open(calls, "a402_2")
    calls.advance("a402_1", _E.PAYMENT_VALIDATED, T0, trade_no="trd_1", replay_key="k:trd_1")
    with pytest.raises(ProofRefused):
        calls.advance("a402_2", _E.PAYMENT_VALIDATED, T0, trade_no="trd_2", replay_key="k:trd_1")
    call = calls.get("a402_2")
    assert call is not None
    assert call.state is _S.WAIT_BUYER_PAY


def test_concurrent_retries_with_one_proof_deliver_once(db: Database) -> None:
    # A402-TEST-007: the replay key is recorded by a unique write before delivery.
    with paid_world(db, FixedClock(T0)) as paid:
        first = paid.plain.get(URL_PRICE_HISTORY)
        request = paid.plain.build_request("GET", URL_PRICE_HISTORY)
        proof = paid.payer.pay(first.headers[PAYMENT_NEEDED], request)
        header = A402.encode_proof(proof)
        from tests.helpers.paywall import PRICE_HISTORY
        from trustcart.assistant.a402_buyer import request_binding

        binding = request_binding(request)
        results: list[object] = []
        barrier = threading.Barrier(4)

        def retry() -> None:
            barrier.wait()
            results.append(paid.seller.admit(PRICE_HISTORY, binding, header))

        threads = [threading.Thread(target=retry) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(isinstance(result, AccessGranted) for result in results) == 1
        assert PAYMENT_PROOF  # the header name the shell reads


# -- the ledger facilitator, with a recoverer that returns a chosen signer ------------------


class ChosenSigner:
    def __init__(self, address: str | None) -> None:
        self.address = address

    def recover(self, typed_data: object, signature: str) -> str:
        if self.address is None:
            raise InvalidSignature
        return self.address


REQUIREMENTS = ExactRequirements(
    "eip155:84532",
    "0x" + "ab" * 20,
    10_000,
    "0x" + "cd" * 20,
    300,
    {"name": "USDC", "version": "2"},
)


def _payment(**changes: object) -> ExactPayment:
    fields: dict[str, object] = {
        "payer": PAYER,
        "to": REQUIREMENTS.pay_to,
        "value": 10_000,
        "valid_after": 0,
        "valid_before": int((T0 + timedelta(minutes=5)).timestamp()),
        "nonce": "0x" + "22" * 32,
    }
    fields.update(changes)
    return ExactPayment(REQUIREMENTS, ExactAuthorization(**fields), "0x" + "11" * 65)  # type: ignore[arg-type]


def _ledger(db: Database) -> tuple[int, int, Money]:
    with db.transaction() as session:
        settled = session.execute(select(func.count()).select_from(X402SettlementRow)).scalar_one()
        return (
            ledger_store.entry_count(session),
            int(settled),
            ledger_store.account_balance(session, "wallet:acc_usd", "USD"),
        )


@pytest.fixture
def facilitator_db(db: Database) -> Database:
    from tests.helpers.payments import make_world

    world = make_world(db, FixedClock(T0))
    world.provider.open_account("acc_usd", "user:alice", world.alice.public, Money(5, "USD"))
    return db


def _facilitator(db: Database, signer: str | None = PAYER, now: datetime = T0) -> LedgerFacilitator:
    return LedgerFacilitator(
        db, recoverer=ChosenSigner(signer), payers={PAYER: "acc_usd"}, clock=FixedClock(now)
    )


@pytest.mark.parametrize(
    ("payment", "signer", "now", "reason"),
    [
        (_payment(to="0x" + "99" * 20), PAYER, T0, X402Reason.RECIPIENT_MISMATCH),
        (_payment(value=9_999), PAYER, T0, X402Reason.AMOUNT_MISMATCH),
        (_payment(valid_after=int(T0.timestamp()) + 60), PAYER, T0, X402Reason.NOT_YET_VALID),
        (_payment(), PAYER, T0 + timedelta(minutes=5), X402Reason.EXPIRED),
        (_payment(), "0x" + "77" * 20, T0, X402Reason.SIGNATURE_INVALID),
        (_payment(), None, T0, X402Reason.SIGNATURE_INVALID),
        (_payment(payer="0x" + "77" * 20), "0x" + "77" * 20, T0, X402Reason.UNKNOWN_PAYER),
    ],
)
def test_the_facilitator_refuses_and_charges_nothing(
    facilitator_db: Database,
    payment: ExactPayment,
    signer: str | None,
    now: datetime,
    reason: X402Reason,
) -> None:
    before = _ledger(facilitator_db)
    with pytest.raises(X402Error) as refused:
        _facilitator(facilitator_db, signer, now).settle(payment, REQUIREMENTS, "m_teahouse")
    assert refused.value.reason is reason
    assert _ledger(facilitator_db) == before


def test_a_settlement_posts_one_entry_and_a_nonce_settles_once(facilitator_db: Database) -> None:
    facilitator = _facilitator(facilitator_db)
    entries, settled, balance = _ledger(facilitator_db)
    settlement = facilitator.settle(_payment(), REQUIREMENTS, "m_teahouse")
    assert settlement.payer == PAYER
    assert _ledger(facilitator_db) == (entries + 1, settled + 1, balance - Money(1, "USD"))
    with pytest.raises(X402Error) as refused:
        facilitator.settle(_payment(), REQUIREMENTS, "m_teahouse")
    assert refused.value.reason is X402Reason.NONCE_USED
    assert _ledger(facilitator_db) == (entries + 1, settled + 1, balance - Money(1, "USD"))


def test_insufficient_funds_rolls_back_the_nonce_record(facilitator_db: Database) -> None:
    big = ExactRequirements(
        REQUIREMENTS.network, REQUIREMENTS.asset, 10_000_000, REQUIREMENTS.pay_to, 300,
        {"name": "USDC", "version": "2"},
    )  # fmt: skip
    payment = ExactPayment(big, _payment(value=10_000_000).authorization, "0x" + "11" * 65)
    before = _ledger(facilitator_db)
    with pytest.raises(X402Error) as refused:
        _facilitator(facilitator_db).settle(payment, big, "m_teahouse")
    assert refused.value.reason is X402Reason.INSUFFICIENT_FUNDS
    assert _ledger(facilitator_db) == before  # no settlement row either: the nonce is unused
