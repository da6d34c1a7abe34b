"""The A402 seller: protects a resource, validates a proof with the PSP, delivers once.

For one request to a ``PaidResource`` the shell calls ``admit`` with the request's binding and
its ``Payment-Proof`` header (or None), and gets:

* ``PaymentChallenge`` (402): a fresh requirement, signed by the seller (``Payment-Needed``),
  recorded in ``WAIT_BUYER_PAY``; when a proof was refused, its ACT error under ``act_error``.
* ``AccessGranted``: the proof passed, in this order, every rule of ``a402.validation``
  against the requirement *this seller stored* under the proof's ``out_trade_no`` (never the
  buyer's copy); the stored requirement is for this resource; the PSP confirms the trade
  (``PaymentLookup``: it exists, succeeded, paid this seller this amount for this order); and
  ``PAYMENT_VALIDATED`` recorded the replay key (a unique insert). Then the shell delivers and
  calls ``delivered`` for the ``Payment-Validation`` header.

Every failure, including an unreachable PSP, refuses (fail closed). The seller never charges:
money moves only at the PSP, so a refused proof leaves the ledger as it was.

The buyer obtains the cart it pays with from ``confirm_cart`` (CID-CART-CFM): a merchant-signed
cart for exactly the requirement's order, resource, amount and request, valid until
``pay_before`` (so the PSP itself refuses a payment after the deadline).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from trustcart.core.clock import Clock, format_instant
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.core.payment import PaymentStatus
from trustcart.core.typs import CART_TYP
from trustcart.crypto.jws import KeyResolver, sign_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.payments.a402.body import ErrorBody
from trustcart.payments.a402.codec import A402
from trustcart.payments.a402.codes import A402Code, ProofRejection
from trustcart.payments.a402.credential import TRUSTCART_METHOD, PspCredentials
from trustcart.payments.a402.errors import (
    A402Error,
    HeaderRefused,
    IllegalTransactionTransition,
    ProofRefused,
)
from trustcart.payments.a402.gate import AccessGranted, PaymentChallenge, validation_header_for
from trustcart.payments.a402.model import (
    DeliveryStatus,
    FulfillmentStatus,
    PaymentRequirement,
    RequestBinding,
)
from trustcart.payments.a402.signing import sign_requirement
from trustcart.payments.a402.states import TransactionEvent, TransactionState
from trustcart.payments.a402.validation import ValidatedPayment, validate_proof
from trustcart.payments.paywall.calls import PaidCalls
from trustcart.payments.paywall.resources import PaidResource

_R, _E = ProofRejection, TransactionEvent
PROTOCOL_A402 = "a402"
CART_PATH = "/a402/carts"


class PaymentLookup(Protocol):
    """The PSP's payment query (``PaymentProvider.payment_status`` or its HTTP client)."""

    def payment_status(self, trade_no: str, *, requester_id: str) -> dict[str, Any]: ...


class CartRefused(A402Error):
    """The seller will not confirm a cart for this order (unknown, not payable, late)."""

    def __init__(self, detail: str) -> None:
        super().__init__(A402Code.STATE_CONFLICT, detail)


class A402Seller:
    """One seller's A402 paywall over its ``PaidCalls`` store."""

    def __init__(
        self,
        calls: PaidCalls,
        *,
        seller_id: str,
        seller_key: SigningKey,
        psp: PaymentLookup,
        psp_keys: Mapping[str, PublicKey] | KeyResolver,
        psp_id: str,
        clock: Clock,
        random_bytes: RandomBytes = secrets.token_bytes,
        pay_within: timedelta = timedelta(minutes=5),
        replay_window_seconds: int = 900,
    ) -> None:
        self._calls = calls
        self.seller_id = seller_id
        self._key = seller_key
        self._psp = psp
        self._credentials = PspCredentials(psp_keys)
        self._psp_id = psp_id
        self._clock = clock
        self._random = random_bytes
        self._pay_within = pay_within
        self._window = replay_window_seconds

    # -- the 402 ---------------------------------------------------------------------------

    def challenge(
        self, resource: PaidResource, request: RequestBinding, error: ErrorBody | None = None
    ) -> PaymentChallenge:
        """Issue and record a fresh signed requirement for ``resource`` and this request."""
        now = self._clock.now()
        requirement = sign_requirement(
            PaymentRequirement(
                payment_method=TRUSTCART_METHOD,
                out_trade_no=new_id("a402", self._random),
                amount=resource.price,
                resource_id=resource.resource_id,
                pay_before=now + self._pay_within,
                seller_id=self.seller_id,
                request=request,
                replay_window_seconds=self._window,
                extensions={
                    "psp_id": self._psp_id,
                    "cart_endpoint": CART_PATH,
                    "category": resource.category,
                    "title": resource.title,
                },
            ),
            self._key,
        )
        header = A402.encode_requirement(requirement)
        self._calls.open(
            out_trade_no=requirement.out_trade_no,
            protocol=PROTOCOL_A402,
            seller_id=self.seller_id,
            resource_id=resource.resource_id,
            requirement=header,
            now=now,
        )
        body: dict[str, Any] = {
            "error": "Payment Needed",
            "message": f"Pay {resource.price} for {resource.title}",
            "resource_id": resource.resource_id,
        }
        if error is not None:
            body["act_error"] = error.to_json()
        return PaymentChallenge(
            headers=((A402.requirement_header, header),), body=body, error=error
        )

    # -- the retry with Payment-Proof ------------------------------------------------------

    def admit(
        self, resource: PaidResource, request: RequestBinding, proof_header: str | None
    ) -> PaymentChallenge | AccessGranted:
        """Grant only a proof that validates here and at the PSP, once; else a fresh 402."""
        if proof_header is None:
            return self.challenge(resource, request)
        try:
            payment = self._validate(resource, request, proof_header)
        except (HeaderRefused, ProofRefused) as refused:
            return self.challenge(resource, request, refused.body())
        return AccessGranted(payment)

    def _validate(
        self, resource: PaidResource, request: RequestBinding, proof_header: str
    ) -> ValidatedPayment:
        proof = A402.decode_proof(proof_header)
        call = self._calls.get(proof.out_trade_no)
        if call is None or call.protocol != PROTOCOL_A402 or call.seller_id != self.seller_id:
            raise ProofRefused(_R.ORDER_MISMATCH, "this seller issued no such order")
        if call.resource_id != resource.resource_id:
            raise ProofRefused(_R.RESOURCE_MISMATCH, "the order was for another resource")
        requirement = A402.decode_requirement(call.requirement)
        now = self._clock.now()
        payment = validate_proof(
            requirement,
            proof,
            request=request,
            credentials=self._credentials,
            seen=self._calls.replay_keys,
            now=now,
        )
        self._confirm_with_psp(requirement, payment)
        try:
            self._calls.advance(
                call.out_trade_no,
                _E.PAYMENT_VALIDATED,
                now,
                trade_no=proof.trade_no,
                replay_key=payment.replay_key,
            )
        except IllegalTransactionTransition as e:  # delivered (or closed) meanwhile
            raise ProofRefused(_R.REPLAYED, "this order was already served or closed") from e
        return payment

    def _confirm_with_psp(self, requirement: PaymentRequirement, payment: ValidatedPayment) -> None:
        """ACT A402 step 5: the seller checks ``trade_no`` with the PSP; fail closed."""
        trade_no = payment.proof.trade_no
        try:
            answer = self._psp.payment_status(trade_no, requester_id=self.seller_id)
            paid = Money.from_json(answer["amount"])
            facts = (answer["status"], answer["out_trade_no"], answer["merchant_id"], paid)
        except Exception as e:  # unknown at the PSP, unreachable, or a malformed answer
            raise ProofRefused(_R.TRADE_NO_MISMATCH, "the PSP does not confirm this trade") from e
        expected = (
            PaymentStatus.SUCCESS.value,
            requirement.out_trade_no,
            self.seller_id,
            requirement.amount,
        )
        if facts != expected:
            raise ProofRefused(_R.TRADE_NO_MISMATCH, "the PSP's record differs from the proof")

    def delivered(self, payment: ValidatedPayment) -> tuple[str, str]:
        """Record the delivery (``DELIVERY_COMMITTED``) and return ``Payment-Validation``."""
        state = self._calls.advance(
            payment.proof.out_trade_no, _E.DELIVERY_COMMITTED, self._clock.now()
        )
        return validation_header_for(
            payment,
            delivery_status=DeliveryStatus.DELIVERED,
            fulfillment_status=FulfillmentStatus.PENDING,
            transaction_state=state,
        )

    def compensate(self, payment: ValidatedPayment) -> TransactionState:
        """The resource could not be produced after payment: close (refund is the PSP's)."""
        return self._calls.advance(
            payment.proof.out_trade_no, _E.COMPENSATION_COMPLETED, self._clock.now()
        )

    def confirm_receipt(self, out_trade_no: str) -> TransactionState:
        """The buyer confirmed receipt: ``WAIT_BUYER_RECEIPT`` → ``TRADE_FINISHED``."""
        return self._calls.advance(out_trade_no, _E.FULFILLMENT_CONFIRMED, self._clock.now())

    def close_unpaid(self, out_trade_no: str) -> TransactionState:
        """Close a requirement that was not paid in time: ``WAIT_BUYER_PAY`` → ``TRADE_CLOSED``."""
        call = self._calls.get(out_trade_no)
        if call is None or call.protocol != PROTOCOL_A402:
            raise IllegalTransactionTransition(f"no transaction {out_trade_no}")
        requirement = A402.decode_requirement(call.requirement)
        if self._clock.now() <= requirement.pay_before:
            raise IllegalTransactionTransition("the requirement may still be paid")
        return self._calls.advance(out_trade_no, _E.PAYMENT_TERMINATED, self._clock.now())

    # -- CID-CART-CFM for the resource -----------------------------------------------------

    def confirm_cart(
        self, out_trade_no: str, *, delegation_id: str, intent_id: str, agent_id: str
    ) -> str:
        """A merchant-signed cart for an open requirement, for the buyer to pay at the PSP."""
        call = self._calls.get(out_trade_no)
        if call is None or call.protocol != PROTOCOL_A402 or call.seller_id != self.seller_id:
            raise CartRefused("this seller issued no such order")
        if call.state is not TransactionState.WAIT_BUYER_PAY:
            raise CartRefused(f"the order is {call.state}, not payable")
        requirement = A402.decode_requirement(call.requirement)
        now = self._clock.now()
        if now >= requirement.pay_before:
            raise CartRefused("the requirement's pay_before has passed")
        return sign_compact(
            cart_payload(
                requirement,
                delegation_id=delegation_id,
                intent_id=intent_id,
                agent_id=agent_id,
                psp_id=self._psp_id,
                now=now,
            ),
            self._key,
            typ=CART_TYP,
        )


def cart_payload(
    requirement: PaymentRequirement,
    *,
    delegation_id: str,
    intent_id: str,
    agent_id: str,
    psp_id: str,
    now: datetime,
) -> dict[str, Any]:
    """The cart of one paid call: one line, the resource, locked until ``pay_before``."""
    price = requirement.amount
    extensions = requirement.extensions
    return {
        "out_trade_no": requirement.out_trade_no,
        "merchant_id": requirement.seller_id,
        "merchant_name": requirement.seller_id,
        "items": [
            {
                "product_id": requirement.resource_id,
                "title": str(extensions.get("title", requirement.resource_id)),
                "category": str(extensions.get("category", "digital/api-call")),
                "quantity": 1,
                "unit_price": price.to_json(),
                "line_total": price.to_json(),
            }
        ],
        "subtotal": price.to_json(),
        "discount": Money.zero(price.currency).to_json(),
        "shipping": Money.zero(price.currency).to_json(),
        "total": price.to_json(),
        "coupons": [],
        "intent_id": intent_id,
        "delegation_id": delegation_id,
        "agent_id": agent_id,
        "payment": {"method_id": "trustcart-balance", "psp_id": psp_id},
        "confirmed_at": format_instant(now),
        "price_locked_until": format_instant(requirement.pay_before),
        "a402": {
            "resource_id": requirement.resource_id,
            "request_fingerprint": requirement.request.fingerprint,
            "method_id": requirement.payment_method.method_id,
        },
    }
