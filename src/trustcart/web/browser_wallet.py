"""A wallet whose key is in the person's browser: the same credentials, signed elsewhere.

``BrowserWallet`` is ``assistant.wallet.Wallet`` with one change: who holds the key. It builds
exactly the payloads the wallet signs (the IAC of ``delegation.iac.unsigned_iac``, its
``delegation-issued`` log record, the payment binding, the L1 approval of
``assistant.wallet.sign_approval``'s shape, the lifecycle request) and has each one signed on
the shopper's ``SigningDesk`` by the browser's non-extractable Ed25519 key; then it makes the
same calls (status service registration, payment binding, log record, transition) with the
signed tokens. Nothing else in the payment path changes: the status service, the payment
provider and the log verify these credentials with the registered public key as they verify
any other delegator's.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import httpx

from trustcart.assistant.errors import WalletError
from trustcart.assistant.wallet import Wallet
from trustcart.core.clock import Clock, format_instant
from trustcart.core.ids import new_id
from trustcart.core.money import Money
from trustcart.core.typs import (
    APPROVAL_TYP,
    ATTESTATION_TYP,
    BINDING_TYP,
    CART_TYP,
    IAC_TYP,
    REGISTRATION_TYP,
    TRANSITION_TYP,
)
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey
from trustcart.delegation.iac import IAC, iac_payload, parse_iac_payload, unsigned_iac
from trustcart.delegation.isr import ISR
from trustcart.delegation.lifecycle import Actor, Transition
from trustcart.delegation.registration import iac_digest, registration_proof_payload
from trustcart.trust.events import Chain, EventType, Participant, build_record
from trustcart.web.signing_desk import SignatureKind, SigningDesk


class BrowserWallet(Wallet):
    """The person's wallet with the key in their browser (``desk`` reaches it)."""

    approves_baskets = False  # the browser signs one cart at a time: no basket approval yet

    def __init__(
        self,
        *,
        desk: SigningDesk,
        identity: str,
        account_id: str,
        clock: Clock,
        status_service: httpx.Client,
        status_base_url: str,
        psp: httpx.Client,
        trust: httpx.Client,
    ) -> None:
        # No ``super().__init__``: the parent's one field this lacks is the private key.
        self.desk = desk
        self.identity = identity
        self.account_id = account_id
        self._clock = clock
        self._status = status_service
        self._status_base = status_base_url.rstrip("/")
        self._psp = psp
        self._trust = trust
        self._events = None

    @property
    def public_key(self) -> PublicKey:
        return self.desk.key

    def authorize(self, isr: ISR) -> IAC:
        """The browser signs the IAC for a confirmed ISR; register it, log its issue."""
        delegation_id = new_id("dlg")
        unsigned = unsigned_iac(
            isr,
            delegation_id=delegation_id,
            delegator_identity=self.identity,
            now=self._clock.now(),
            status_url=f"{self._status_base}/delegations/{delegation_id}/status",
        )
        payload = iac_payload(unsigned)
        token = self.desk.sign(SignatureKind.IAC, IAC_TYP, payload)
        iac = parse_iac_payload(payload, token)
        # The status service finds the key in its key directory; the browser proves it holds
        # it, now, for this IAC (a fresh, single-use proof of possession).
        proof_payload = registration_proof_payload(
            delegation_id, iac_digest(iac.token), now=self._clock.now()
        )
        proof = self.desk.sign(SignatureKind.REGISTRATION, REGISTRATION_TYP, proof_payload)
        self._post(self._status, "/delegations", {"iac": iac.token, "proof": proof})
        self._record_issue(iac)
        return iac

    def _record_issue(self, iac: IAC) -> None:
        """The ``delegation-issued`` record, attested by the delegator's (browser) key."""
        record = build_record(
            event_type=EventType.DELEGATION_ISSUED,
            chain=Chain(intent_id=iac.intent_id, delegation_id=iac.delegation_id),
            participants=[Participant("delegator", self.identity, self.public_key.kid)],
            event_body={
                "delegation_mode": iac.delegation_mode.value,
                "max_total_amount": iac.max_total.to_json(),
            },
            now=self._clock.now(),
            random_bytes=secrets.token_bytes,
        )
        token = self.desk.sign(SignatureKind.RECORD, ATTESTATION_TYP, record)
        response = self._trust.post("/records", json={"record": token})
        if response.status_code != 201:
            raise WalletError(f"the log refused the record: {response.status_code}")

    def bind(self, iac: IAC) -> str:
        """The browser signs the binding; the payment provider issues a restricted token."""
        payload = {
            "account_id": self.account_id,
            "agent_id": iac.agent_id,
            "iac": iac.token,
            "requested_at": format_instant(self._clock.now()),
        }
        binding = self.desk.sign(SignatureKind.BINDING, BINDING_TYP, payload)
        answer = self._post(self._psp, "/bindings", {"binding": binding})
        token = answer.get("payment_token")
        if not isinstance(token, str):
            raise WalletError("the payment provider issued no token")
        return token

    def approve(self, cart_token: str, merchant_keys: Mapping[str, PublicKey]) -> str:
        """Verify the merchant's cart, then the browser approves exactly that cart (L1)."""
        cart = verify_compact(cart_token, merchant_keys, typ=CART_TYP).payload
        payload = {
            "out_trade_no": cart["out_trade_no"],
            "merchant_id": cart["merchant_id"],
            "cart_digest": jcs_digest(dict(cart)),
            "amount": Money.from_json(cart["total"]).to_json(),
            "delegation_id": cart["delegation_id"],
            "agent_id": cart["agent_id"],
            "approved_at": format_instant(self._clock.now()),
        }
        return self.desk.sign(SignatureKind.APPROVAL, APPROVAL_TYP, payload)

    def transition(self, delegation_id: str, transition: Transition) -> dict[str, Any]:
        """The browser signs the lifecycle request (e.g. revoke); the status service applies it."""
        payload = {
            "delegation_id": delegation_id,
            "transition": transition.value,
            "actor": Actor.PRINCIPAL.value,
            "requested_at": format_instant(self._clock.now()),
            "nonce": secrets.token_urlsafe(16),
        }
        request = self.desk.sign(SignatureKind.TRANSITION, TRANSITION_TYP, payload)
        return self._post(
            self._status, f"/delegations/{delegation_id}/transitions", {"request": request}
        )
