"""The buyer side of A402: an ``httpx.Auth`` that pays for a paid resource within the IAC.

``A402Auth`` sends the request; on ``402`` with ``Payment-Needed`` it hands the requirement to
``A402Payer.pay`` and retries the same request once with ``Payment-Proof``. It never pays
twice for one request: a second 402 (a refused proof) is returned to the caller as it is.

``A402Payer.pay`` decides before any money moves, refusing (``PurchaseRefused`` with an
``A402BuyerCode`` or the IAC's own constraint reason) unless, in this order:

1. the requirement is signed by the seller's key (from the merchant directory), uses trustcart's
   PSP credential method, and is for *this* request (method, fingerprint, idempotency key);
2. ``pay_before`` has not passed and the IAC is Active at its status service;
3. the seller's cart for the order (CID-CART-CFM, ``cart_endpoint``) is signed by the seller and
   is exactly the requirement: order, seller, amount, resource, request, one line;
4. the IAC allows it (``evaluate_purchase``: merchant, category, amount, cumulative budget,
   method, window), with spending so far from the PSP's receipts only.

Then it pays at the PSP the ordinary way (``BuyerAgent.pay``: L1 with the person's approval of
this cart for a ``SPECIFIED`` IAC, else L2; one idempotency key per order), asks the PSP for
the A402 credential of that trade, and returns the ``PaymentProof``. The agent imports only
the A402 wire format (``trustcart.payments.a402``), never the provider.

The flow is synchronous (it makes its own HTTP calls while the request waits): use it with an
``httpx.Client``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from enum import StrEnum

import httpx

from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.agent_answers import PurchaseRefused
from trustcart.assistant.offers import ConfirmedCart
from trustcart.assistant.proposals import Delegation
from trustcart.core.clock import Clock
from trustcart.core.errors import ValidationError
from trustcart.core.payment import PaymentMode
from trustcart.core.typs import CART_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import verify_compact
from trustcart.delegation.constraints import PurchaseFacts, evaluate_purchase
from trustcart.delegation.terms import DelegationMode
from trustcart.payments.a402.codec import A402, PAYMENT_NEEDED, PAYMENT_PROOF
from trustcart.payments.a402.credential import TRUSTCART_METHOD
from trustcart.payments.a402.errors import HeaderRefused
from trustcart.payments.a402.fields import parse_wire_instant
from trustcart.payments.a402.model import (
    PaymentProof,
    PaymentRequirement,
    RequestBinding,
    request_fingerprint,
)
from trustcart.payments.a402.signing import verify_payment_needed

Approver = Callable[[ConfirmedCart], str]


class A402BuyerCode(StrEnum):
    REQUIREMENT_INVALID = "a402-buyer-requirement-invalid"
    NOT_THIS_REQUEST = "a402-buyer-not-this-request"
    REQUIREMENT_EXPIRED = "a402-buyer-requirement-expired"
    METHOD_UNSUPPORTED = "a402-buyer-method-unsupported"
    CART_MISMATCH = "a402-buyer-cart-mismatch"
    APPROVAL_NEEDED = "a402-buyer-approval-needed"
    CREDENTIAL_MISSING = "a402-buyer-credential-missing"


def request_binding(request: httpx.Request) -> RequestBinding:
    """The binding the seller computes for this request (method, target, body digest)."""
    target = request.url.raw_path.decode("ascii")
    return RequestBinding(
        request.method,
        request_fingerprint(request.method, target, request.content),
        request.headers.get("Idempotency-Key"),
    )


class A402Payer:
    """Pays A402 requirements for one delegation, through the agent's PSP connection."""

    def __init__(
        self,
        agent: BuyerAgent,
        delegation: Delegation,
        *,
        sellers: httpx.Client,
        psp: httpx.Client,
        clock: Clock,
        approve: Approver | None = None,
    ) -> None:
        self._agent = agent
        self.delegation = delegation
        self._sellers = sellers
        self._psp = psp
        self._clock = clock
        self._approve = approve

    def pay(self, payment_needed: str, request: httpx.Request) -> PaymentProof:
        """Decide, pay and return the proof for ``request``; ``PurchaseRefused`` otherwise."""
        requirement = self._trusted_requirement(payment_needed, request)
        iac = self.delegation.iac
        self._agent.check_status(iac)
        cart = self._cart(requirement, request)
        method = iac.allowed_payment_methods[0] if iac.allowed_payment_methods else ""
        facts = PurchaseFacts(
            merchant_id=cart.merchant_id,
            categories=cart.categories,
            amount=cart.total,
            quantity=cart.quantity,
            payment_method=method,
            at=self._clock.now(),
        )
        verdict = evaluate_purchase(iac, facts, self.delegation.spent)
        if not verdict.allowed:
            raise PurchaseRefused(str(verdict.reasons[0]), verdict.explain())
        approval = None
        mode = PaymentMode.L2
        if iac.delegation_mode is DelegationMode.SPECIFIED:
            if self._approve is None:
                raise PurchaseRefused(
                    A402BuyerCode.APPROVAL_NEEDED,
                    "a single-purchase IAC needs the person's approval",
                )
            mode, approval = PaymentMode.L1, self._approve(cart)
        receipt = self._agent.pay(
            mode=mode,
            payment_token=self.delegation.payment_token,
            iac=iac,
            cart=cart,
            approval=approval,
        )
        self.delegation.record(receipt)
        return self._proof(requirement, cart, receipt.trade_no)

    def _trusted_requirement(self, value: str, request: httpx.Request) -> PaymentRequirement:
        try:
            seller = A402.decode_requirement(value).seller_id
            requirement = verify_payment_needed(value, self._agent.merchant_keys(seller))
        except (HeaderRefused, InvalidSignature, PurchaseRefused) as e:
            raise PurchaseRefused(
                A402BuyerCode.REQUIREMENT_INVALID, "Payment-Needed is malformed or not the seller's"
            ) from e
        if requirement.payment_method != TRUSTCART_METHOD:
            raise PurchaseRefused(A402BuyerCode.METHOD_UNSUPPORTED, "an unknown payment method")
        if requirement.request != request_binding(request):
            raise PurchaseRefused(
                A402BuyerCode.NOT_THIS_REQUEST, "the requirement is for another request"
            )
        if self._clock.now() >= requirement.pay_before:
            raise PurchaseRefused(A402BuyerCode.REQUIREMENT_EXPIRED, "pay_before has passed")
        return requirement

    def _cart(self, requirement: PaymentRequirement, request: httpx.Request) -> ConfirmedCart:
        iac = self.delegation.iac
        endpoint = str(requirement.extensions.get("cart_endpoint", "/a402/carts"))
        response = self._sellers.post(
            str(request.url.join(endpoint)),
            json={
                "out_trade_no": requirement.out_trade_no,
                "delegation_id": iac.delegation_id,
                "intent_id": iac.intent_id,
                "agent_id": self._agent.agent_id,
            },
        )
        if response.status_code != 200:
            raise PurchaseRefused(A402BuyerCode.CART_MISMATCH, "the seller confirmed no cart")
        try:
            token = str(response.json()["cart"])
            keys = self._agent.merchant_keys(requirement.seller_id)
            payload = verify_compact(token, keys, typ=CART_TYP).payload
            cart = ConfirmedCart.from_verified(token, payload)
            a402 = payload["a402"]
            matches = (
                cart.out_trade_no == requirement.out_trade_no
                and cart.merchant_id == requirement.seller_id
                and cart.total == requirement.amount
                and [line.product_id for line in cart.lines] == [requirement.resource_id]
                and a402["resource_id"] == requirement.resource_id
                and a402["request_fingerprint"] == requirement.request.fingerprint
                and cart.delegation_id == iac.delegation_id
            )
        except (InvalidSignature, ValidationError, KeyError, TypeError, ValueError) as e:
            raise PurchaseRefused(A402BuyerCode.CART_MISMATCH, "the cart does not verify") from e
        if not matches:
            raise PurchaseRefused(A402BuyerCode.CART_MISMATCH, "the cart is not the requirement")
        return cart

    def _proof(
        self, requirement: PaymentRequirement, cart: ConfirmedCart, trade_no: str
    ) -> PaymentProof:
        response = self._psp.post(
            "/a402/credentials", json={"trade_no": trade_no, "cart": cart.token}
        )
        try:
            answer = response.json()
            return PaymentProof(
                payment_method=requirement.payment_method,
                out_trade_no=requirement.out_trade_no,
                resource_id=requirement.resource_id,
                buyer_id=self._agent.agent_id,
                credential=str(answer["payment_proof"]),
                trade_no=trade_no,
                expires_at=parse_wire_instant(answer["expires_at"]),
                request=requirement.request,
                extensions={"psp_id": str(requirement.extensions.get("psp_id", ""))},
            )
        except (KeyError, TypeError, ValueError, ValidationError) as e:
            raise PurchaseRefused(
                A402BuyerCode.CREDENTIAL_MISSING,
                f"paid (trade {trade_no}) but the PSP gave no credential; query, never pay twice",
            ) from e


class A402Auth(httpx.Auth):
    """Pay on ``402`` + ``Payment-Needed`` and retry once with ``Payment-Proof``.

    >>> # client = httpx.Client(auth=A402Auth(payer)); client.get(url + "/paid/goods/x")
    """

    requires_request_body = True
    requires_response_body = True

    def __init__(self, payer: A402Payer) -> None:
        self.payer = payer

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        needed = response.headers.get(PAYMENT_NEEDED)
        if response.status_code != 402 or needed is None:
            return
        proof = self.payer.pay(needed, request)
        request.headers[PAYMENT_PROOF] = A402.encode_proof(proof)
        yield request
