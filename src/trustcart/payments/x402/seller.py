"""The x402 v2 seller: the same paid resources, transaction table and replay store as A402.

``challenge_headers`` opens a transaction (``paid_calls``, protocol ``x402``) in
``WAIT_BUYER_PAY`` and offers one ``exact`` requirement whose ``extra.trustcart_order`` names
it. ``settle_and_deliver`` takes a ``PAYMENT-SIGNATURE`` and, failing closed at each step:

1. decodes it strictly (``codec``);
2. finds the transaction it names: this seller's, for this resource, still ``WAIT_BUYER_PAY``;
   the accepted requirements must equal the ones stored (never the buyer's copy), and the
   resource URL, when the payload names one, must be this request's;
3. has the facilitator verify and settle it (the signature, amount, recipient, validity
   window, nonce; one ledger entry);
4. records ``PAYMENT_VALIDATED`` with the settlement's ``trade_no`` and the authorization key
   as replay key (both unique), produces the resource, records ``DELIVERY_COMMITTED``;
5. answers 200 with ``PAYMENT-RESPONSE``.

A refusal answers 402 with a fresh ``PAYMENT-REQUIRED`` whose ``error`` is the ``x402-*``
reason, and charges nothing. Should producing the resource fail after settlement, the
transaction is closed through ``COMPENSATION_COMPLETED`` and the error propagates (the refund
is the PSP's, as for A402).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from trustcart.core.clock import Clock
from trustcart.core.ids import RandomBytes, new_id
from trustcart.payments.a402.states import TransactionEvent, TransactionState
from trustcart.payments.paywall.calls import PaidCalls
from trustcart.payments.paywall.resources import PaidResource
from trustcart.payments.x402.codec import (
    PAYMENT_REQUIRED,
    PAYMENT_RESPONSE,
    PAYMENT_SIGNATURE,
    ExactRequirements,
    decode_payment_signature,
    encode_payment_required,
    encode_payment_response,
    requirements_from_json,
)
from trustcart.payments.x402.errors import X402Error, X402Reason
from trustcart.payments.x402.facilitator import Facilitator, LedgerAsset, authorization_key

PROTOCOL_X402 = "x402"
BASE_SEPOLIA = "eip155:84532"
BASE_SEPOLIA_USDC = "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
Headers = tuple[tuple[str, str], ...]
_E = TransactionEvent


class X402Seller:
    """One seller's x402 paywall; ``pay_to`` is the address its ``exact`` transfers go to."""

    proof_header = PAYMENT_SIGNATURE

    def __init__(
        self,
        calls: PaidCalls,
        facilitator: Facilitator,
        *,
        seller_id: str,
        pay_to: str,
        clock: Clock,
        network: str = BASE_SEPOLIA,
        asset: str = BASE_SEPOLIA_USDC,
        asset_name: str = "USDC",
        asset_version: str = "2",
        ledger_asset: LedgerAsset | None = None,
        max_timeout: timedelta = timedelta(minutes=5),
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> None:
        self._calls = calls
        self._facilitator = facilitator
        self.seller_id = seller_id
        self._pay_to = pay_to
        self._clock = clock
        self._network = network
        self._asset = asset
        self._token = {"name": asset_name, "version": asset_version}
        self._ledger_asset = ledger_asset or LedgerAsset()
        self._timeout = int(max_timeout.total_seconds())
        self._random = random_bytes

    def challenge_headers(self, resource: PaidResource, url: str, error: str = "") -> Headers:
        """``PAYMENT-REQUIRED`` for a fresh transaction, or nothing if not sold over x402."""
        if resource.x402_price is None:
            return ()
        order = new_id("x402o", self._random)
        requirements = ExactRequirements(
            network=self._network,
            asset=self._asset,
            amount=self._ledger_asset.to_atomic(resource.x402_price),
            pay_to=self._pay_to,
            max_timeout_seconds=self._timeout,
            extra={**self._token, "trustcart_order": order},
        )
        self._calls.open(
            out_trade_no=order,
            protocol=PROTOCOL_X402,
            seller_id=self.seller_id,
            resource_id=resource.resource_id,
            requirement=json.dumps(requirements.to_json(), sort_keys=True),
            now=self._clock.now(),
        )
        value = encode_payment_required(
            [requirements], url=url, description=resource.title, error=error or None
        )
        return ((PAYMENT_REQUIRED, value),)

    def _refusal(
        self, resource: PaidResource, url: str, refused: X402Error
    ) -> tuple[int, Headers, Mapping[str, Any]]:
        body = {
            "error": "Payment Required",
            "reason": str(refused.reason),
            "detail": refused.detail,
        }
        return 402, self.challenge_headers(resource, url, str(refused.reason)), body

    def settle_and_deliver(
        self,
        resource: PaidResource,
        url: str,
        header: str,
        produce: Callable[[], Mapping[str, Any]],
    ) -> tuple[int, Headers, Mapping[str, Any]]:
        """``(status, headers, body)`` for a request carrying ``PAYMENT-SIGNATURE``."""
        try:
            payment = decode_payment_signature(header)
            order = str(payment.accepted.extra.get("trustcart_order", ""))
            call = self._calls.get(order)
            if call is None or call.protocol != PROTOCOL_X402 or call.seller_id != self.seller_id:
                raise X402Error(X402Reason.UNKNOWN_ORDER, "this seller offered no such order")
            if call.resource_id != resource.resource_id:
                raise X402Error(X402Reason.RESOURCE_MISMATCH, "the order is for another resource")
            if payment.resource_url is not None and payment.resource_url != url:
                raise X402Error(X402Reason.RESOURCE_MISMATCH, "paid for another URL")
            if call.state is not TransactionState.WAIT_BUYER_PAY:
                raise X402Error(X402Reason.ORDER_CLOSED, f"the order is {call.state}")
            stored = requirements_from_json(json.loads(call.requirement))  # never the buyer's
            settlement = self._facilitator.settle(payment, stored, self.seller_id)
        except X402Error as refused:
            return self._refusal(resource, url, refused)
        now = self._clock.now()
        self._calls.advance(
            order,
            _E.PAYMENT_VALIDATED,
            now,
            trade_no=settlement.trade_no,
            replay_key=authorization_key(payment),
        )
        try:
            content = produce()
        except Exception:
            self._calls.advance(order, _E.COMPENSATION_COMPLETED, self._clock.now())
            raise
        self._calls.advance(order, _E.DELIVERY_COMMITTED, self._clock.now())
        response = encode_payment_response(
            success=True,
            transaction=settlement.trade_no,
            network=settlement.network,
            payer=settlement.payer,
        )
        return 200, ((PAYMENT_RESPONSE, response),), content
