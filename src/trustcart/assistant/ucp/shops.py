"""The UCP businesses the person added: searched beside the marketplace, quoted, bought from.

Strategy, one purchase line at a time:

1. ``discover``: each added business's ``/catalog/search`` for the words of the intent; its
   products become offers (``pricing``) in the same list as the marketplace's; a business that
   does not answer, or answers nonsense, is left out of that search (``skipped`` says which).
2. ``quote`` (when a proposal is made): a checkout session with the line, the person's buyer
   details and destination; the session must be ``ready_for_complete`` and its figures add up
   (``pricing.read_session``); the line's price must be the one shown. The delivered total it
   quotes is what the person approves.
3. ``buy`` (after approval): the session is read again and must still have the approved price
   and total; then ``complete`` with the trustcart payment handler the business advertises (the
   restricted payment token bound to the IAC), the IAC itself (``act.iac``) and, when the
   business negotiated AP2 mandates, the wallet's checkout mandate over the session exactly as
   the business signed it (``ap2.checkout_mandate``; ``assistant.ucp.ap2``). The business
   confirms the ACT cart and the trustcart payment provider checks token, IAC, status, cart and
   budget before it debits anything. The merchant-signed cart is verified with the business's
   ``signing_keys``, the receipt with the provider's key, and both against the line.

Rules kept: nothing is completed unless every check before it passed (an unreachable business,
figures that do not add up, a price that moved: refused, nothing paid); one idempotency key per
session and delegation, so a retried complete can never pay twice.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from trustcart.assistant.ap2_wallet import UcpCheckoutMandates
from trustcart.assistant.checks import cart_problems
from trustcart.assistant.offers import ConfirmedCart, Offer, Receipt
from trustcart.assistant.proposals import Delegation, Purchase
from trustcart.assistant.ucp.ap2 import ap2_expected, business_keys, check_authorization
from trustcart.assistant.ucp.client import UcpClient
from trustcart.assistant.ucp.errors import AnswerRejected, UcpCode, UcpError
from trustcart.assistant.ucp.pricing import (
    SessionFigures,
    check_same_terms,
    item_id,
    offer_from_product,
    quoted,
    read_session,
)
from trustcart.assistant.ucp.profile import INSTRUMENT_TYPE, BusinessProfile
from trustcart.core.errors import ValidationError
from trustcart.core.ids import RandomBytes
from trustcart.core.money import Money
from trustcart.core.payment import PaymentMode
from trustcart.core.typs import CART_TYP, RECEIPT_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey, keys_from_jwks

BUSINESS_RECORD = "ucp-business"
READY = "ready_for_complete"


class BusinessDirectory(Protocol):
    """The businesses the person added (``local.ucp_platform`` keeps them in the store)."""

    def businesses(self) -> list[BusinessProfile]: ...


class Verifier(Protocol):
    """What the buyer agent lends a UCP purchase: its id and the provider's receipt keys."""

    agent_id: str

    def psp_keys(self) -> dict[str, PublicKey]: ...


def _key(line: Offer) -> tuple[str, str, int]:
    return (line.business, line.product_id, line.quantity)


class UcpShops:
    """Discovery, quotes and purchases at the added businesses (module docstring)."""

    def __init__(
        self,
        directory: BusinessDirectory,
        connect: Callable[[BusinessProfile], UcpClient],
        *,
        buyer: Mapping[str, str],
        destination: Mapping[str, str],
        random_bytes: RandomBytes = secrets.token_bytes,
        mandates: UcpCheckoutMandates | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._directory = directory
        self._connect = connect
        self._buyer = dict(buyer)
        self._destination = dict(destination)
        self._random = random_bytes
        self._clients: dict[str, UcpClient] = {}
        self._sessions: dict[tuple[str, str, int], str] = {}
        self._mandates = mandates  # the wallet's AP2 checkout mandates (ap2_wallet)
        self._now = now
        self._presented: dict[str, str] = {}  # complete key -> mandate sent (a retry resends it)
        self.skipped: dict[str, str] = {}  # business url -> why its last search was left out

    def _client(self, url: str) -> UcpClient:
        if url not in self._clients:
            known = {b.url: b for b in self._directory.businesses()}
            if url not in known:
                raise UcpError(UcpCode.UNKNOWN_BUSINESS, f"{url} is not an added UCP business")
            self._clients[url] = self._connect(known[url])
        return self._clients[url]

    def _idempotency(self, what: str) -> str:
        return f"{what}-{self._random(12).hex()}"

    # -- discovery -----------------------------------------------------------------------------

    def discover(self, context: Mapping[str, Any], limit: int = 10) -> list[Offer]:
        """Offers of every added business for ``context`` (query, quantity, per-item cap)."""
        query = str(context.get("query") or "").strip()
        if not query:
            return []
        quantity = max(1, int(context.get("quantity") or 1))
        cap_json = (context.get("constraints") or {}).get("max_unit_price")
        cap = None if cap_json is None else Money.from_json(cap_json)
        found: list[Offer] = []
        for business in self._directory.businesses():
            try:
                products = self._client(business.url).search(query, limit)
                offers = [offer_from_product(p, business, quantity) for p in products]
            except UcpError as e:
                self.skipped[business.url] = e.reason
                continue
            self.skipped.pop(business.url, None)
            for offer in offers:
                if offer is None or (cap is not None and (
                    offer.unit_price.currency != cap.currency or offer.unit_price > cap
                )):  # fmt: skip
                    continue
                found.append(offer)
        return found

    # -- the quote the person approves -----------------------------------------------------------

    def _ready_body(self, line: Offer) -> dict[str, Any]:
        return {
            "line_items": [
                {"id": "li_1", "item": {"id": item_id(line)}, "quantity": line.quantity}
            ],
            "buyer": dict(self._buyer),
            "fulfillment": {
                "methods": [
                    {
                        "id": "fm_1",
                        "type": "shipping",
                        "line_item_ids": ["li_1"],
                        "destinations": [{"id": "dest_1", **self._destination}],
                    }
                ]
            },
        }

    def quote(self, line: Offer) -> Offer:
        """``line`` priced by a new checkout session at its business (delivered total)."""
        client = self._client(line.business)
        body = {"line_items": [{"item": {"id": item_id(line)}, "quantity": line.quantity}]}
        created = client.create(body, self._idempotency("create"))
        session = client.update(
            str(created["id"]), self._ready_body(line), self._idempotency("update")
        )
        figures = read_session(session)
        if figures.status != READY:
            raise UcpError(
                UcpCode.NOT_READY,
                f"{client.business.name} cannot complete it yet: {', '.join(figures.messages)}",
            )
        check_authorization(client.business, session)
        priced = quoted(line, figures)
        self._sessions[_key(priced)] = figures.session_id
        return priced

    # -- the purchase ---------------------------------------------------------------------------

    def _ready_session(
        self, client: UcpClient, line: Offer
    ) -> tuple[SessionFigures, dict[str, Any]]:
        session_id = self._sessions.get(_key(line))
        if session_id is None:  # quoted in another run: price it again, the same checks hold
            self.quote(line)
            session_id = self._sessions[_key(line)]
        session = client.get(session_id)
        figures = read_session(session)
        if figures.status != READY:
            raise UcpError(UcpCode.NOT_READY, f"the session is {figures.status}, not ready")
        check_same_terms(line, figures)
        check_authorization(client.business, session)
        return figures, session

    def _checkout_mandate(
        self, client: UcpClient, session: Mapping[str, Any], delegation: Delegation, key: str
    ) -> str:
        """The wallet's AP2 checkout mandate over ``session`` exactly as the business signed
        it (``ap2_wallet``); the same one again for a retry under the same key."""
        if key not in self._presented:
            if self._mandates is None or self._now is None:
                raise UcpError(
                    UcpCode.MANDATE_UNAVAILABLE,
                    f"{client.business.name} requires AP2 mandates and no wallet makes them here",
                )
            self._presented[key] = self._mandates.checkout_mandate(
                session,
                business_keys(client.business),
                iac=delegation.iac,
                audience=client.business.endpoint,
                now=self._now(),
            )
        return self._presented[key]

    def buy(
        self, verifier: Verifier, proposal_id: str, delegation: Delegation, line: Offer
    ) -> Purchase:
        """Complete ``line``'s session under ``delegation`` (module docstring, step 3)."""
        client = self._client(line.business)
        figures, session = self._ready_session(client, line)
        iac = delegation.iac
        body: dict[str, Any] = {
            "payment": {
                "instruments": [
                    {
                        "id": "pi_1",
                        "handler_id": client.business.handler_id,
                        "type": INSTRUMENT_TYPE,
                        "selected": True,
                        "credential": {"type": INSTRUMENT_TYPE, "token": delegation.payment_token},
                    }
                ]
            },
            "act": {"iac": iac.token},
        }
        key = f"complete-{figures.session_id}-{iac.delegation_id}"
        if ap2_expected(client.business):
            body["ap2"] = {
                "checkout_mandate": self._checkout_mandate(client, session, delegation, key)
            }
        done = client.complete(figures.session_id, body, key)
        if done.get("status") != "completed" or not isinstance(done.get("act"), Mapping):
            raise UcpError(UcpCode.NOT_READY, f"the session is {done.get('status')}, not completed")
        cart, receipt = self._evidence(client.business, verifier, done["act"])
        wire_line = dataclasses.replace(line, product_id=item_id(line))
        problems = cart_problems(cart, wire_line, line.total)
        if receipt.cart_digest != cart.digest or receipt.out_trade_no != cart.out_trade_no:
            problems.append("the receipt is for another cart")
        if cart.agent_id != verifier.agent_id or cart.delegation_id != iac.delegation_id:
            problems.append("the cart was confirmed for another agent or delegation")
        if problems:
            raise UcpError(UcpCode.EVIDENCE_INVALID, "; ".join(problems))
        delegation.record(receipt)
        return Purchase(proposal_id, delegation.isr, iac, PaymentMode.L2, cart, None, receipt, line)

    def _evidence(
        self, business: BusinessProfile, verifier: Verifier, act: Mapping[str, Any]
    ) -> tuple[ConfirmedCart, Receipt]:
        """The merchant-signed cart and the provider's receipt a completed session carries."""
        keys = keys_from_jwks({"keys": [dict(k) for k in business.signing_keys]})
        try:
            cart_token, receipt_token = str(act["cart"]), str(act["receipt"])
            cart_payload = verify_compact(cart_token, keys, typ=CART_TYP).payload
            cart = ConfirmedCart.from_verified(cart_token, cart_payload)
            payload = verify_compact(receipt_token, verifier.psp_keys(), typ=RECEIPT_TYP).payload
            receipt = Receipt.from_verified(
                receipt_token,
                payload,
                trade_no=str(payload.get("trade_no") or cart.out_trade_no),
                credential_status=str(act["credential_status"]),
            )
        except (KeyError, InvalidSignature, ValidationError) as e:
            raise AnswerRejected(
                UcpCode.EVIDENCE_INVALID, f"the cart or receipt does not verify ({e})"
            ) from e
        return cart, receipt
