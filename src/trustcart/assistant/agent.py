"""The buyer agent: finds, compares, confirms and pays, only through the protocols.

Every request it sends to a merchant or the payment provider is RFC 9421-signed by the httpx
clients it is given (``api.agent_auth.AgentRequestSigner``). It checks what it receives before
relying on it: the merchant's signature on the cart (against the key the marketplace lists for
*that* merchant), the cart against the ISR and the IAC (ACT CID-CART-CFM pre-check: merchant,
category, amounts, quantity, price deviation), and the payment provider's signature on the
receipt. A failed check raises ``PurchaseRefused`` with a stable code and nothing is paid.

It never reads a merchant's or the PSP's storage; it only knows what their answers say.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from trustcart.core.clock import Clock
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.core.typs import CART_TYP, RECEIPT_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_header, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey, keys_from_jwks
from trustcart.delegation.constraints import (
    REASON_TEXT,
    DeviationVerdict,
    PurchaseFacts,
    SpendSoFar,
    check_price_deviation,
    evaluate_purchase,
)
from trustcart.delegation.errors import StatusUnavailable
from trustcart.delegation.iac import IAC
from trustcart.delegation.isr import ISR
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.status import StatusChecker
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.recorder import EventRecorder


class PurchaseRefused(Exception):
    """The agent (or a service it asked) refused a step; ``code`` is stable, ``reason`` human."""

    def __init__(self, code: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Offer:
    merchant_id: str
    merchant_name: str
    product_id: str
    title: str
    category: str
    quantity: int
    unit_price: Money
    subtotal: Money
    discount: Money
    total: Money
    coupons: tuple[str, ...]
    distance_km: str | None
    score: float

    @classmethod
    def from_candidate(cls, candidate: Mapping[str, Any]) -> Offer:
        product, offer = candidate["product"], candidate["offer"]
        line = offer["items"][0]
        return cls(
            merchant_id=candidate["merchant"]["merchant_id"],
            merchant_name=candidate["merchant"]["name"],
            product_id=product["product_id"],
            title=product["title"],
            category=product["category"],
            quantity=int(line["quantity"]),
            unit_price=Money.from_json(line["unit_price"]),
            subtotal=Money.from_json(offer["subtotal"]),
            discount=Money.from_json(offer["discount"]),
            total=Money.from_json(offer["total"]),
            coupons=tuple(c.get("description", c.get("coupon_id", "")) for c in offer["coupons"]),
            distance_km=candidate.get("distance_km"),
            score=float(candidate.get("score", 0)),
        )


@dataclass(frozen=True)
class Cart:
    token: str
    payload: dict[str, Any]

    @property
    def digest(self) -> str:
        return jcs_digest(self.payload)

    @property
    def out_trade_no(self) -> str:
        return str(self.payload["out_trade_no"])

    @property
    def merchant_id(self) -> str:
        return str(self.payload["merchant_id"])

    @property
    def total(self) -> Money:
        return Money.from_json(self.payload["total"])

    @property
    def quantity(self) -> int:
        return sum(int(item["quantity"]) for item in self.payload["items"])

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({str(item["category"]) for item in self.payload["items"]}))


@dataclass(frozen=True)
class Payment:
    trade_no: str
    receipt: str
    receipt_payload: dict[str, Any]
    credential_status: str


def _problem(response: httpx.Response) -> PurchaseRefused:
    try:
        body = response.json()
        return PurchaseRefused(
            str(body.get("code", "error")),
            str(body.get("detail", body)),
            status=response.status_code,
        )
    except ValueError:
        return PurchaseRefused("error", response.text[:200], status=response.status_code)


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

    @property
    def participant(self) -> Participant:
        return Participant("agent", self.agent_id, self.key.kid)

    # -- intent --------------------------------------------------------------------------

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
            raise PurchaseRefused("status-unavailable", "the credential's status is unknown") from e
        if attestation.status is not CredentialStatus.ACTIVE:
            code = f"iac-{attestation.status.value.lower()}"
            raise PurchaseRefused(code, f"the authorization is {attestation.status.value}")

    # -- discovery and decision (CID-INT-XFR) ----------------------------------------------

    def search(self, isr: ISR, iac: IAC, *, limit: int = 10) -> list[Offer]:
        self.check_status(iac)
        item = isr.items[0]
        constraints: dict[str, Any] = {"max_total_amount": iac.max_total.to_json()}
        if item.max_unit_price is not None:
            constraints["max_unit_price"] = item.max_unit_price.to_json()
        if isr.location is not None:
            constraints["location"] = isr.location.to_json()
        for name in (
            "allowed_categories",
            "forbidden_categories",
            "allowed_merchants",
            "forbidden_merchants",
        ):
            if getattr(iac.commerce, name):
                constraints[name] = list(getattr(iac.commerce, name))
        context: dict[str, Any] = {
            "query": item.description,
            "quantity": item.quantity,
            "constraints": constraints,
        }
        if item.category:
            context["category"] = item.category
        body = {
            "request_id": new_id("xfr", self._random),
            "intent_id": isr.intent_id,
            "delegation_id": iac.delegation_id,
            "agent_id": self.agent_id,
            "context": context,
            "limit": limit,
        }
        response = self._merchants.post("/intent-context", json=body)
        if response.status_code != 200:
            raise _problem(response)
        return [Offer.from_candidate(c) for c in response.json()["candidates"]]

    def choose(self, offers: list[Offer], iac: IAC, spent: SpendSoFar) -> Offer:
        """The best match for what was asked, then the cheapest total after coupons, among the
        offers the IAC allows; the decision is logged (act:commerce:decision-logged)."""
        now = self._clock.now()
        top = max((offer.score for offer in offers), default=0.0)
        # Relevance first: a cheaper product that is not what was asked for is no bargain.
        relevant = [offer for offer in offers if offer.score >= top - 1e-9]
        verdicts = [
            (
                offer,
                evaluate_purchase(
                    iac,
                    self._facts(
                        offer.merchant_id, (offer.category,), offer.total, offer.quantity, iac
                    ),
                    spent,
                ),
            )
            for offer in relevant
        ]
        allowed = [offer for offer, verdict in verdicts if verdict.allowed]
        if not allowed:
            if not verdicts:
                raise PurchaseRefused("no-match", "nothing matches what was asked")
            _, verdict = min(verdicts, key=lambda pair: pair[0].total.minor)
            raise PurchaseRefused(str(verdict.reasons[0]), verdict.explain())
        best = min(allowed, key=lambda o: (o.total.minor, o.distance_km or "", o.product_id))
        self._events(
            EventType.DECISION_LOGGED,
            Chain(intent_id=iac.intent_id, delegation_id=iac.delegation_id),
            [self.participant],
            {
                "candidates": len(offers),
                "allowed": len(allowed),
                "chosen_product": best.product_id,
                "chosen_merchant": best.merchant_id,
                "total": best.total.to_json(),
                "rule": "lowest total after coupons",
                "decided_at": now.isoformat(),
            },
            self.key,
        )
        return best

    def _facts(
        self, merchant_id: str, categories: tuple[str, ...], amount: Money, quantity: int, iac: IAC
    ) -> PurchaseFacts:
        method = iac.allowed_payment_methods[0] if iac.allowed_payment_methods else ""
        return PurchaseFacts(
            merchant_id=merchant_id,
            categories=categories,
            amount=amount,
            quantity=quantity,
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
            for m in response.json().get("supported_methods", [])
            if m.get("method_id") in iac.allowed_payment_methods
        ]
        if not methods:  # ACT: an empty or disallowed method list stops before payment
            raise PurchaseRefused("method-not-allowed", "no payment method both sides accept")
        chosen = methods[0]
        for field in ("method_id", "psp_id", "endpoint", "method_schema_url"):
            if not chosen.get(field):
                raise PurchaseRefused("negotiation-incomplete", f"the result lacks {field}")
        return str(chosen["method_id"])

    def confirm(self, offer: Offer, iac: IAC, method_id: str) -> Cart:
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
        token = response.json()["cart"]
        try:
            payload = verify_compact(token, self._keys_of(offer.merchant_id), typ=CART_TYP).payload
        except InvalidSignature as e:
            raise PurchaseRefused(
                "cart-signature-invalid", "the cart is not signed by that merchant"
            ) from e
        return Cart(token, payload)

    def check_cart(self, cart: Cart, offer: Offer, iac: IAC, spent: SpendSoFar) -> None:
        """ACT CID-CART-CFM pre-check on what the merchant confirmed; refuse on any mismatch."""
        payload = cart.payload
        expected = {
            "merchant_id": offer.merchant_id,
            "intent_id": iac.intent_id,
            "delegation_id": iac.delegation_id,
            "agent_id": self.agent_id,
        }
        for name, value in expected.items():
            if payload.get(name) != value:
                raise PurchaseRefused("cart-mismatch", f"the cart's {name} is not {value}")
        items = payload["items"]
        if [(i["product_id"], int(i["quantity"])) for i in items] != [
            (offer.product_id, offer.quantity)
        ]:
            raise PurchaseRefused("cart-mismatch", "the cart holds other items than chosen")
        result = evaluate_purchase(
            iac,
            self._facts(cart.merchant_id, cart.categories, cart.total, cart.quantity, iac),
            spent,
        )
        if not result.allowed:
            raise PurchaseRefused(str(result.reasons[0]), result.explain())
        verdict = check_price_deviation(iac, offer.total, cart.total)
        if verdict is DeviationVerdict.AUTO_CANCEL:
            raise PurchaseRefused(
                "price-deviation-cancelled", "the confirmed price moved beyond tolerance; cancelled"
            )
        if verdict is DeviationVerdict.PAUSE_AND_NOTIFY:
            raise PurchaseRefused(
                "price-deviation-paused",
                "the confirmed price moved beyond tolerance; asking the user",
            )

    # -- payment (PSD-PAY-INS / PSD-PAY-DEL) -----------------------------------------------

    def pay(
        self, *, mode: str, payment_token: str, iac: IAC, cart: Cart, approval: str | None = None
    ) -> Payment:
        body: dict[str, Any] = {
            "mode": mode,
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
            "/payments", json=body, headers={"Idempotency-Key": f"pay-{cart.out_trade_no}"}
        )
        if response.status_code != 200:
            raise _problem(response)
        answer = response.json()
        try:
            receipt = verify_compact(
                answer["receipt"], self._psp_public_keys(), typ=RECEIPT_TYP
            ).payload
        except (InvalidSignature, KeyError) as e:
            raise PurchaseRefused("receipt-invalid", "the receipt does not verify") from e
        if receipt.get("cart_digest") != cart.digest or receipt.get("out_trade_no") != (
            cart.out_trade_no
        ):
            raise PurchaseRefused("receipt-mismatch", "the receipt is for another cart")
        return Payment(
            str(answer["trade_no"]), answer["receipt"], receipt, str(answer["credential_status"])
        )

    # -- for the assistant's planner and tools ---------------------------------------------

    def discover(
        self,
        context: Mapping[str, Any],
        *,
        intent_id: str | None = None,
        delegation_id: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Raw CID-INT-XFR candidates for ``context`` (no credential needed to look).

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
            if refusal.code == "no-match":
                return []
            raise refusal
        return list(response.json()["candidates"])

    def merchant_directory(self) -> list[dict[str, Any]]:
        response = self._merchants.get("/merchants")
        if response.status_code != 200:
            raise _problem(response)
        return list(response.json()["merchants"])

    def order_status(self, out_trade_no: str) -> dict[str, Any]:
        """The merchant's view of one of this agent's orders (a signed GET)."""
        response = self._merchants.get(f"/orders/{out_trade_no}")
        if response.status_code != 200:
            raise _problem(response)
        answer: dict[str, Any] = response.json()
        return answer

    def merchant_keys(self, merchant_id: str) -> dict[str, PublicKey]:
        return dict(self._keys_of(merchant_id))

    # -- keys ------------------------------------------------------------------------------

    def _keys_of(self, merchant_id: str) -> dict[str, PublicKey]:
        """The keys the marketplace lists for ``merchant_id`` (never another merchant's)."""
        if self._merchant_keys is None:
            response = self._merchants.get("/merchants")
            response.raise_for_status()
            all_keys = keys_from_jwks(self._merchants.get("/.well-known/jwks.json").json())
            by_merchant: dict[str, dict[str, PublicKey]] = {}
            for merchant in response.json()["merchants"]:
                kid = merchant.get("kid")
                if kid in all_keys:
                    by_merchant.setdefault(merchant["merchant_id"], {})[kid] = all_keys[kid]
            self._merchant_keys = by_merchant
        return self._merchant_keys.get(merchant_id, {})

    def _psp_public_keys(self) -> dict[str, PublicKey]:
        if self._psp_keys is None:
            self._psp_keys = keys_from_jwks(self._psp.get("/.well-known/jwks.json").json())
        return self._psp_keys


def explain_reasons(codes: list[str]) -> str:
    texts = {str(reason): text for reason, text in REASON_TEXT.items()}
    return "; ".join(texts.get(code, code) for code in codes)


def signer_kid(token: str) -> str:
    return str(peek_header(token)["kid"])
