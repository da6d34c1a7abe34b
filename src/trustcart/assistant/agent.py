"""The buyer agent: asks merchants, confirms carts and pays, only through the protocols.

Every request it sends to a merchant or the payment provider is RFC 9421-signed by the httpx
clients it is given (``api.agent_auth.AgentRequestSigner``). It checks what it receives before
relying on it: the merchant's signature on the cart (against the key the marketplace lists for
*that* merchant), the cart against the offer and the IAC (ACT CID-CART-CFM pre-check: merchant,
category, amounts, quantity, price deviation), and the payment provider's signature on the
receipt. A failed check raises ``PurchaseRefused`` with a stable code and nothing is paid.

It never reads a merchant's or the PSP's storage; it only knows what their answers say. Which
offer to buy is not its decision: the planner proposes, the person (or their standing
delegation) chooses, and the agent records that decision (``log_decision``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from trustcart.assistant.agent_answers import AgentCode, PurchaseRefused, _answer, _problem
from trustcart.assistant.offers import ConfirmedCart, Offer, Receipt
from trustcart.assistant.price_compare import Comparison
from trustcart.assistant.vocabulary import Vocabulary
from trustcart.core.clock import Clock
from trustcart.core.errors import ValidationError
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.payment import PaymentMode
from trustcart.core.typs import CART_TYP, RECEIPT_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey, keys_from_jwks
from trustcart.delegation.constraints import (
    DeviationVerdict,
    PurchaseFacts,
    SpendSoFar,
    check_price_deviation,
    evaluate_purchase,
)
from trustcart.delegation.errors import StatusUnavailable
from trustcart.delegation.iac import IAC
from trustcart.delegation.isr import ISR, Location
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.status import StatusChecker
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.recorder import EventRecorder


class BuyerAgent:
    def __init__(
        self,
        *,
        key: SigningKey,
        agent_id: str,
        clock: Clock,
        merchants: httpx.Client,
        psp: httpx.Client,
        events: EventRecorder,
        status: StatusChecker,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> None:
        self._status = status
        self.key = key
        self.agent_id = agent_id
        self._clock = clock
        self._merchants = merchants
        self._psp = psp
        self._events = events
        self._random = random_bytes
        self._merchant_keys: dict[str, dict[str, PublicKey]] | None = None
        self._psp_keys: dict[str, PublicKey] | None = None

    def basket_clients(self) -> tuple[httpx.Client, httpx.Client]:
        """The agent's signed clients for the marketplace and the PSP (``basket_buyer``)."""
        return self._merchants, self._psp

    @property
    def participant(self) -> Participant:
        return Participant("agent", self.agent_id, self.key.kid)

    # -- intent and status -----------------------------------------------------------------

    def record_intent(self, isr: ISR) -> None:
        self._events(
            EventType.INTENT_CREATED,
            Chain(intent_id=isr.intent_id),
            [self.participant],
            {"isr_digest": isr.digest(), "delegation_mode": isr.delegation_mode.value},
            self.key,
        )

    def check_status(self, iac: IAC) -> None:
        """ACT: the credential's status is checked at every hop; anything but Active stops."""
        try:
            attestation = self._status.check(iac, self._clock.now())
        except StatusUnavailable as e:
            raise PurchaseRefused(
                AgentCode.STATUS_UNAVAILABLE, "the credential's status is unknown"
            ) from e
        if attestation.status is not CredentialStatus.ACTIVE:
            code = f"iac-{attestation.status.value.lower()}"
            raise PurchaseRefused(code, f"the authorization is {attestation.status.value}")

    # -- discovery and decision (CID-INT-XFR) ----------------------------------------------

    def discover(
        self,
        context: Mapping[str, Any],
        *,
        intent_id: str | None = None,
        delegation_id: str | None = None,
        limit: int = 50,
    ) -> list[Offer]:
        """The offers merchants answer for ``context`` (no credential needed to look).

        A ``no-match`` answer is an empty list; any other refusal raises ``PurchaseRefused``.
        """
        body: dict[str, Any] = {
            "request_id": new_id("xfr", self._random),
            "agent_id": self.agent_id,
            "context": dict(context),
            "limit": limit,
        }
        if intent_id is not None:
            body["intent_id"] = intent_id
        if delegation_id is not None:
            body["delegation_id"] = delegation_id
        response = self._merchants.post("/intent-context", json=body)
        if response.status_code != 200:
            refusal = _problem(response)
            if refusal.code == AgentCode.NO_MATCH:
                return []
            raise refusal
        try:
            return [Offer.from_wire(c) for c in _answer(response)["candidates"]]
        except (ValidationError, KeyError, TypeError, ValueError) as e:
            raise PurchaseRefused(AgentCode.BAD_ANSWER, "the marketplace answered nonsense") from e

    def log_decision(
        self, iac: IAC, chosen: Sequence[Offer], *, considered: int, rule: str
    ) -> None:
        """Record which offers were chosen under ``iac`` and why (act:commerce:decision-logged)."""
        total = chosen[0].total
        for offer in chosen[1:]:
            total = total + offer.total
        self._events(
            EventType.DECISION_LOGGED,
            Chain(intent_id=iac.intent_id, delegation_id=iac.delegation_id),
            [self.participant],
            {
                "candidates": considered,
                "chosen_products": [o.product_id for o in chosen],
                "chosen_merchants": sorted({o.merchant_id for o in chosen}),
                "total": total.to_json(),
                "rule": rule,
                "decided_at": self._clock.now().isoformat(),
            },
            self.key,
        )

    def record_decision(self, chain: Chain, body: Mapping[str, Any]) -> None:
        """Record another decision of the agent's (``assistant.decisions``: options presented,
        a refusal) as act:commerce:decision-logged, signed by the agent."""
        self._events(EventType.DECISION_LOGGED, chain, [self.participant], dict(body), self.key)

    def _facts(self, cart: ConfirmedCart, iac: IAC) -> PurchaseFacts:
        method = iac.allowed_payment_methods[0] if iac.allowed_payment_methods else ""
        return PurchaseFacts(
            merchant_id=cart.merchant_id,
            categories=cart.categories,
            amount=cart.total,
            quantity=cart.quantity,
            payment_method=method,
            at=self._clock.now(),
        )

    # -- payment negotiation (CID-PCA-NEG) and cart confirmation (CID-CART-CFM) -----------

    def negotiate(self, offer: Offer, iac: IAC) -> str:
        body = {
            "agent_id": self.agent_id,
            "buyer_supported_methods": list(iac.allowed_payment_methods),
            "currency": offer.total.currency,
            "estimated_amount": offer.total.to_json(),
        }
        response = self._merchants.post(
            f"/merchants/{offer.merchant_id}/payment-negotiation", json=body
        )
        if response.status_code != 200:
            raise _problem(response)
        methods = [
            m
            for m in _answer(response).get("supported_methods", [])
            if m.get("method_id") in iac.allowed_payment_methods
        ]
        if not methods:  # ACT: an empty or disallowed method list stops before payment
            raise PurchaseRefused(
                AgentCode.METHOD_NOT_ALLOWED, "no payment method both sides accept"
            )
        chosen = methods[0]
        for name in ("method_id", "psp_id", "endpoint", "method_schema_url"):
            if not chosen.get(name):
                raise PurchaseRefused(AgentCode.NEGOTIATION_INCOMPLETE, f"the result lacks {name}")
        return str(chosen["method_id"])

    def confirm(self, offer: Offer, iac: IAC, method_id: str) -> ConfirmedCart:
        body = {
            "merchant_id": offer.merchant_id,
            "items": [
                {
                    "product_id": offer.product_id,
                    "quantity": offer.quantity,
                    "expected_unit_price": offer.unit_price.to_json(),
                }
            ],
            "intent_id": iac.intent_id,
            "delegation_id": iac.delegation_id,
            "agent_id": self.agent_id,
            "payment_method": method_id,
        }
        response = self._merchants.post("/carts", json=body)
        if response.status_code != 201:
            raise _problem(response)
        token = _answer(response)["cart"]
        try:
            payload = verify_compact(
                token, self.merchant_keys(offer.merchant_id), typ=CART_TYP
            ).payload
            return ConfirmedCart.from_verified(token, payload)
        except InvalidSignature as e:
            raise PurchaseRefused(
                AgentCode.CART_SIGNATURE_INVALID, "the cart is not signed by that merchant"
            ) from e
        except ValidationError as e:
            raise PurchaseRefused(AgentCode.CART_MISMATCH, str(e)) from e

    def check_cart(self, cart: ConfirmedCart, offer: Offer, iac: IAC, spent: SpendSoFar) -> None:
        """ACT CID-CART-CFM pre-check on what the merchant confirmed; refuse on any mismatch."""
        expected = {
            "merchant_id": (cart.merchant_id, offer.merchant_id),
            "intent_id": (cart.intent_id, iac.intent_id),
            "delegation_id": (cart.delegation_id, iac.delegation_id),
            "agent_id": (cart.agent_id, self.agent_id),
        }
        for name, (got, wanted) in expected.items():
            if got != wanted:
                raise PurchaseRefused(AgentCode.CART_MISMATCH, f"the cart's {name} is not {wanted}")
        if [(line.product_id, line.quantity) for line in cart.lines] != [
            (offer.product_id, offer.quantity)
        ]:
            raise PurchaseRefused(AgentCode.CART_MISMATCH, "the cart holds other items than chosen")
        result = evaluate_purchase(iac, self._facts(cart, iac), spent)
        if not result.allowed:
            raise PurchaseRefused(str(result.reasons[0]), result.explain())
        verdict = check_price_deviation(iac, offer.total, cart.total)
        if verdict is DeviationVerdict.AUTO_CANCEL:
            raise PurchaseRefused(
                AgentCode.PRICE_DEVIATION_CANCELLED,
                "the confirmed price moved beyond tolerance; cancelled",
            )
        if verdict is DeviationVerdict.PAUSE_AND_NOTIFY:
            raise PurchaseRefused(
                AgentCode.PRICE_DEVIATION_PAUSED,
                "the confirmed price moved beyond tolerance; asking the user",
            )

    # -- payment (PSD-PAY-INS / PSD-PAY-DEL) -----------------------------------------------

    def pay(
        self,
        *,
        mode: PaymentMode,
        payment_token: str,
        iac: IAC,
        cart: ConfirmedCart,
        approval: str | None = None,
        key_suffix: str = "",
    ) -> Receipt:
        """Pay ``cart`` at the PSP and check its receipt; ``key_suffix`` makes the idempotency
        key of a second, different request for the same order (the L1 answer to a step-up)."""
        body: dict[str, Any] = {
            "mode": mode.value,
            "payment_token": payment_token,
            "iac": iac.token,
            "cart": cart.token,
            "request_id": new_id("pay", self._random),
            "amount": cart.total.to_json(),
        }
        if approval is not None:
            body["approval"] = approval
        # One idempotency key per order: a retry after a timeout can never pay twice.
        response = self._psp.post(
            "/payments",
            json=body,
            headers={"Idempotency-Key": f"pay-{cart.out_trade_no}{key_suffix}"},
        )
        if response.status_code != 200:
            raise _problem(response)
        answer = _answer(response)
        try:
            token = answer["receipt"]
            payload = verify_compact(token, self._psp_public_keys(), typ=RECEIPT_TYP).payload
            receipt = Receipt.from_verified(
                token,
                payload,
                trade_no=str(answer["trade_no"]),
                credential_status=str(answer["credential_status"]),
            )
        except (InvalidSignature, KeyError, TypeError, ValidationError) as e:
            raise PurchaseRefused(AgentCode.RECEIPT_INVALID, "the receipt does not verify") from e
        if receipt.cart_digest != cart.digest or receipt.out_trade_no != cart.out_trade_no:
            raise PurchaseRefused(AgentCode.RECEIPT_MISMATCH, "the receipt is for another cart")
        return receipt

    # -- for the assistant's tools -----------------------------------------------------------

    def merchant_directory(self) -> list[dict[str, Any]]:
        response = self._merchants.get("/merchants")
        if response.status_code != 200:
            raise _problem(response)
        return list(_answer(response)["merchants"])

    def catalog_vocabulary(self) -> Vocabulary:
        """The marketplace's catalog words (a signed GET), read and checked; a marketplace that
        does not answer in time is a refusal (the caller falls back to the built-in words)."""
        try:
            response = self._merchants.get("/catalog/vocabulary")
        except httpx.HTTPError as e:
            raise PurchaseRefused(AgentCode.BAD_ANSWER, "the marketplace did not answer") from e
        if response.status_code != 200:
            raise _problem(response)
        try:
            return Vocabulary.from_wire(response.json())
        except (ValidationError, ValueError) as e:
            raise PurchaseRefused(AgentCode.BAD_ANSWER, "the vocabulary is malformed") from e

    def compare_offers(self, product_id: str, location: Location | None = None) -> Comparison:
        """The product at every merchant that sells it, best delivered total first (signed
        GET); with ``location``, only the merchants that deliver there."""
        params = {} if location is None else {"lat": str(location.lat), "lon": str(location.lon)}
        response = self._merchants.get(
            f"/products/{quote(product_id, safe='')}/offers", params=params
        )
        if response.status_code != 200:
            raise _problem(response)
        try:
            return Comparison.from_wire(response.json())
        except (ValidationError, ValueError) as e:
            raise PurchaseRefused(AgentCode.BAD_ANSWER, "the comparison is malformed") from e

    def order_status(self, out_trade_no: str) -> dict[str, Any]:
        """The merchant's view of one of this agent's orders (a signed GET)."""
        response = self._merchants.get(f"/orders/{out_trade_no}")
        if response.status_code != 200:
            raise _problem(response)
        answer: dict[str, Any] = _answer(response)
        return answer

    def merchant_keys(self, merchant_id: str) -> dict[str, PublicKey]:
        """The keys the marketplace lists for ``merchant_id`` (never another merchant's)."""
        if self._merchant_keys is None:
            response = self._merchants.get("/merchants")
            response.raise_for_status()
            all_keys = keys_from_jwks(_answer(self._merchants.get("/.well-known/jwks.json")))
            by_merchant: dict[str, dict[str, PublicKey]] = {}
            for merchant in _answer(response)["merchants"]:
                kid = merchant.get("kid")
                if kid in all_keys:
                    by_merchant.setdefault(merchant["merchant_id"], {})[kid] = all_keys[kid]
            self._merchant_keys = by_merchant
        return dict(self._merchant_keys.get(merchant_id, {}))

    def _psp_public_keys(self) -> dict[str, PublicKey]:
        if self._psp_keys is None:
            self._psp_keys = keys_from_jwks(_answer(self._psp.get("/.well-known/jwks.json")))
        return self._psp_keys
