"""A402 over HTTP: a trustcart resource, the agent's auth flow, the PSP, the seller's checks.

Each refusal is shown to leave the ledger, the budgets and the payments exactly as they were
(``World.snapshot``), on SQLite and PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers.paywall import PRICE_HISTORY, PaidWorld, paid_world
from tests.helpers.paywall import URL_PRICE_HISTORY as URL
from trustcart.assistant.a402_buyer import A402BuyerCode, request_binding
from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.core.clock import FixedClock
from trustcart.payments.a402.codec import A402, PAYMENT_NEEDED, PAYMENT_PROOF, PAYMENT_VALIDATION
from trustcart.payments.a402.codes import CATALOG, A402Code
from trustcart.payments.a402.errors import IllegalTransactionTransition
from trustcart.payments.a402.model import DeliveryStatus, PaymentProof, ValidationStatus
from trustcart.payments.a402.states import TransactionState
from trustcart.store.db import Database

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def paid(db: Database) -> Iterator[PaidWorld]:
    with paid_world(db, FixedClock(T0)) as world:
        yield world


def _paid_proof(paid: PaidWorld, url: str = URL) -> tuple[str, Any]:
    """Get the 402 without paying, then pay it through the payer: (proof header, request)."""
    first = paid.plain.get(url)
    assert first.status_code == 402
    request = paid.plain.build_request("GET", url)
    proof = paid.payer.pay(first.headers[PAYMENT_NEEDED], request)
    return A402.encode_proof(proof), proof


def _act_code(response: Any) -> str:
    return str(response.json()["act_error"]["error_id"])


def test_a_request_without_payment_gets_402_with_a_signed_payment_needed(paid: PaidWorld) -> None:
    response = paid.plain.get(URL)
    assert response.status_code == 402
    requirement = A402.decode_requirement(response.headers[PAYMENT_NEEDED])
    assert requirement.resource_id == PRICE_HISTORY.resource_id
    assert requirement.amount == PRICE_HISTORY.price
    assert requirement.signature is not None
    assert requirement.signature.signer_id == paid.world.merchant_key.kid
    call = paid.calls.get(requirement.out_trade_no)
    assert call is not None
    assert call.state is TransactionState.WAIT_BUYER_PAY
    assert "act_error" not in response.json()


def test_the_agent_pays_once_retries_and_gets_the_resource(paid: PaidWorld) -> None:
    before = paid.world.provider.balance("acc_alice")
    response = paid.buyer.get(URL)
    assert response.status_code == 200
    assert response.json()["product_id"] == "p_pearl"
    validation = A402.decode_validation(response.headers[PAYMENT_VALIDATION])
    assert validation.validation_status is ValidationStatus.VALID
    assert validation.delivery_status is DeliveryStatus.DELIVERED
    assert validation.transaction_state is TransactionState.WAIT_BUYER_RECEIPT
    assert paid.world.provider.balance("acc_alice") == before - PRICE_HISTORY.price
    assert paid.world.provider.merchant_balance("m_teahouse", "CNY") == PRICE_HISTORY.price
    assert paid.payer.delegation.spent.total == PRICE_HISTORY.price  # from the PSP's receipt
    call = paid.calls.get(validation.out_trade_no)
    assert call is not None
    assert call.trade_no == validation.trade_no
    assert paid.seller.confirm_receipt(validation.out_trade_no) is TransactionState.TRADE_FINISHED
    with pytest.raises(IllegalTransactionTransition):  # TRADE_FINISHED is terminal
        paid.seller.confirm_receipt(validation.out_trade_no)


def test_a_replayed_proof_is_refused_and_charges_nothing(paid: PaidWorld) -> None:
    header, _ = _paid_proof(paid)
    assert paid.plain.get(URL, headers={PAYMENT_PROOF: header}).status_code == 200
    before = paid.world.snapshot()
    again = paid.plain.get(URL, headers={PAYMENT_PROOF: header})
    assert again.status_code == 402
    assert _act_code(again) == A402Code.PROOF_INVALID
    assert again.json()["act_error"]["details"]["reason"] == "a402-proof-replayed"
    assert again.json()["act_error"]["valid_next_actions"] == [
        str(action) for action in CATALOG[A402Code.PROOF_INVALID].valid_next_actions
    ]
    assert paid.world.snapshot() == before


def test_a_proof_for_one_resource_does_not_open_another(paid: PaidWorld) -> None:
    header, _ = _paid_proof(paid)
    before = paid.world.snapshot()
    other = paid.plain.get("/paid/goods/sticker-pack", headers={PAYMENT_PROOF: header})
    assert other.status_code == 402
    assert other.json()["act_error"]["details"]["reason"] == "a402-proof-resource-mismatch"
    assert paid.world.snapshot() == before
    # ... and the proof, never delivered, still opens what it paid for.
    assert paid.plain.get(URL, headers={PAYMENT_PROOF: header}).status_code == 200


def test_a_proof_with_a_rewritten_resource_id_is_refused(paid: PaidWorld) -> None:
    _, proof = _paid_proof(paid)
    forged = A402.encode_proof(_replace(proof, resource_id="goods/sticker-pack"))
    before = paid.world.snapshot()
    response = paid.plain.get(URL, headers={PAYMENT_PROOF: forged})
    assert response.status_code == 402
    assert response.json()["act_error"]["details"]["reason"] == "a402-proof-resource-mismatch"
    assert paid.world.snapshot() == before


def test_a_proof_with_another_trade_no_is_refused(paid: PaidWorld) -> None:
    _, proof = _paid_proof(paid)
    forged = A402.encode_proof(_replace(proof, trade_no="trd_someone_elses"))
    response = paid.plain.get(URL, headers={PAYMENT_PROOF: forged})
    assert response.status_code == 402
    assert response.json()["act_error"]["details"]["reason"] == "a402-proof-trade-no-mismatch"


def test_a_proof_for_another_request_is_refused(paid: PaidWorld) -> None:
    header, _ = _paid_proof(paid)
    response = paid.plain.get("/paid/price-history/p_other", headers={PAYMENT_PROOF: header})
    assert response.status_code == 402
    assert response.json()["act_error"]["details"]["reason"] == "a402-proof-request-mismatch"


def test_after_pay_before_nothing_can_be_paid_or_charged(paid: PaidWorld, db: Database) -> None:
    first = paid.plain.get(URL)
    requirement = A402.decode_requirement(first.headers[PAYMENT_NEEDED])
    clock = paid.world.clock
    clock.set(requirement.pay_before + timedelta(seconds=1))
    before = paid.world.snapshot()
    request = paid.plain.build_request("GET", URL)
    with pytest.raises(PurchaseRefused) as refused:
        paid.payer.pay(first.headers[PAYMENT_NEEDED], request)
    assert refused.value.code == A402BuyerCode.REQUIREMENT_EXPIRED
    # The seller refuses a cart after pay_before too (so a buyer that skips its own check
    # still cannot pay), and closes the requirement.
    cart = paid.plain.post(
        "/a402/carts",
        json={
            "out_trade_no": requirement.out_trade_no,
            "delegation_id": "dlg_test1",
            "intent_id": "int_test1",
            "agent_id": "agent:trustcart-assistant",
        },
    )
    assert cart.status_code == 409
    assert paid.world.snapshot() == before
    assert paid.seller.close_unpaid(requirement.out_trade_no) is TransactionState.TRADE_CLOSED


def test_a_proof_that_expired_is_refused(paid: PaidWorld) -> None:
    header, _ = _paid_proof(paid)
    paid.world.clock.advance(timedelta(minutes=11))  # the PSP credential lives 10 minutes
    before = paid.world.snapshot()
    response = paid.plain.get(URL, headers={PAYMENT_PROOF: header})
    assert response.status_code == 402
    assert response.json()["act_error"]["details"]["reason"] == "a402-proof-expired"
    assert paid.world.snapshot() == before


def test_a_second_402_after_a_proof_is_not_paid_again(paid: PaidWorld) -> None:
    header, _ = _paid_proof(paid)
    assert paid.plain.get(URL, headers={PAYMENT_PROOF: header}).status_code == 200
    before = paid.world.snapshot()
    # The auth flow pays only when the first answer is a 402; a request that already carries
    # a used proof is answered 402 and not paid again within the same request.
    request = paid.buyer.build_request("GET", URL, headers={PAYMENT_PROOF: header})
    flow = paid.buyer.auth.auth_flow(request)  # type: ignore[union-attr]
    sent = next(flow)
    assert sent.headers[PAYMENT_PROOF] == header
    assert paid.world.snapshot() == before


def test_the_agent_refuses_a_requirement_outside_its_iac(db: Database) -> None:
    # An IAC for milk tea only: the agent refuses to pay for an API call, before any payment.
    from trustcart.delegation.terms import CommerceConstraints

    tea_only = CommerceConstraints(allowed_categories=("drinks/milk-tea",))
    with paid_world(db, FixedClock(T0), commerce=tea_only) as paid:
        before = paid.world.snapshot()
        with pytest.raises(PurchaseRefused) as refused:
            paid.buyer.get(URL)
        assert refused.value.code == "category-not-allowed"
        assert paid.world.snapshot() == before


def test_the_agent_refuses_a_requirement_for_another_request(paid: PaidWorld) -> None:
    first = paid.plain.get(URL)
    other = paid.plain.build_request("GET", "/paid/price-history/p_other")
    before = paid.world.snapshot()
    with pytest.raises(PurchaseRefused) as refused:
        paid.payer.pay(first.headers[PAYMENT_NEEDED], other)
    assert refused.value.code == A402BuyerCode.NOT_THIS_REQUEST
    assert paid.world.snapshot() == before
    assert request_binding(other) != request_binding(paid.plain.build_request("GET", URL))


def _replace(proof: PaymentProof, **changes: Any) -> PaymentProof:
    from dataclasses import replace

    return replace(proof, **changes)


def test_the_psp_gives_no_credential_for_another_agents_trade(paid: PaidWorld) -> None:
    _, proof = _paid_proof(paid)
    import httpx

    from trustcart.api.agent_auth import AgentRequestSigner
    from trustcart.crypto.keys import SigningKey

    intruder = SigningKey.generate()
    paid.world.directory.register(intruder.public, party_id="agent:intruder", role="agent")
    as_intruder = httpx.Client(
        base_url=str(paid.psp.base_url),
        auth=AgentRequestSigner(intruder, clock=paid.world.clock),
    )
    with as_intruder:
        response = as_intruder.post(
            "/a402/credentials", json={"trade_no": proof.trade_no, "cart": "x.y.z"}
        )
    assert response.status_code == 404
    assert response.json()["code"] == "unknown-payment"


def test_the_psp_gives_no_credential_for_a_cart_that_was_not_paid(paid: PaidWorld) -> None:
    _, proof = _paid_proof(paid)
    first = paid.plain.get("/paid/goods/sticker-pack")  # another order, never paid
    other = A402.decode_requirement(first.headers[PAYMENT_NEEDED])
    cart = paid.plain.post(
        "/a402/carts",
        json={
            "out_trade_no": other.out_trade_no,
            "delegation_id": "dlg_test1",
            "intent_id": "int_test1",
            "agent_id": "agent:trustcart-assistant",
        },
    ).json()["cart"]
    response = paid.psp.post("/a402/credentials", json={"trade_no": proof.trade_no, "cart": cart})
    assert response.status_code == 422
    assert response.json()["code"] == "cart-invalid"


class _UnreachablePsp:
    def payment_status(self, trade_no: str, *, requester_id: str) -> dict[str, Any]:
        raise ConnectionError("the PSP is down")


def test_a_seller_that_cannot_confirm_the_trade_does_not_deliver(paid: PaidWorld) -> None:
    from tests.helpers.payments import MERCHANT, PSP_ID
    from trustcart.assistant.a402_buyer import request_binding
    from trustcart.payments.a402.gate import PaymentChallenge
    from trustcart.payments.paywall.seller import A402Seller

    header, _ = _paid_proof(paid)
    cut_off = A402Seller(
        paid.calls,
        seller_id=MERCHANT,
        seller_key=paid.world.merchant_key,
        psp=_UnreachablePsp(),
        psp_keys={paid.world.psp_key.kid: paid.world.psp_key.public},
        psp_id=PSP_ID,
        clock=paid.world.clock,
    )
    binding = request_binding(paid.plain.build_request("GET", URL))
    decision = cut_off.admit(PRICE_HISTORY, binding, header)
    assert isinstance(decision, PaymentChallenge)
    assert decision.error is not None
    assert decision.error.to_json()["details"]["reason"] == "a402-proof-trade-no-mismatch"
    # Nothing was recorded: once the PSP answers again, the same proof is served.
    assert paid.plain.get(URL, headers={PAYMENT_PROOF: header}).status_code == 200
