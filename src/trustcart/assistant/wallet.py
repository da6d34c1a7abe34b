"""The person's wallet: the only place their private key is used.

The wallet signs four things, each a JWS over JCS bytes, each after showing the person what it
signs:

* the IAC (``act-iac+jwt``), from an ISR the person confirmed;
* the payment binding (``act-payment-binding+jwt``) that lets the payment provider issue a
  restricted token to the agent (PSD-PMT-BND) — the agent never sees the account;
* an L1 approval (``act-payment-approval+jwt``) of one exact merchant-confirmed cart;
* a basket approval (``act-basket-approval+jwt``): one signature over a set of carts from
  several merchants (``delegation.basket``);
* lifecycle requests (``act-iac-transition+jwt``): suspend, resume, revoke.

Signing functions are pure (key and time passed in); ``Wallet`` adds the HTTP calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from trustcart.assistant.errors import WalletError
from trustcart.core.clock import Clock, format_instant
from trustcart.core.ids import new_id
from trustcart.core.json_limits import loads_bounded
from trustcart.core.money import Money
from trustcart.core.typs import APPROVAL_TYP, BINDING_TYP, CART_TYP
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import peek_payload, sign_compact, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.basket import basket_approval_for, sign_basket_approval
from trustcart.delegation.iac import IAC, issue_iac
from trustcart.delegation.isr import ISR
from trustcart.delegation.lifecycle import Actor, Transition, sign_transition_request
from trustcart.delegation.registration import iac_digest, sign_registration_proof
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.recorder import EventRecorder


def sign_binding(iac: IAC, *, account_id: str, key: SigningKey, now: datetime) -> str:
    payload = {
        "account_id": account_id,
        "agent_id": iac.agent_id,
        "iac": iac.token,
        "requested_at": format_instant(now),
    }
    return sign_compact(payload, key, typ=BINDING_TYP)


def sign_approval(cart_payload: Mapping[str, Any], *, key: SigningKey, now: datetime) -> str:
    """Approve one exact cart: the approval names its digest, amount and order number."""
    total = Money.from_json(cart_payload["total"])
    payload = {
        "out_trade_no": cart_payload["out_trade_no"],
        "merchant_id": cart_payload["merchant_id"],
        "cart_digest": jcs_digest(dict(cart_payload)),
        "amount": total.to_json(),
        "delegation_id": cart_payload["delegation_id"],
        "agent_id": cart_payload["agent_id"],
        "approved_at": format_instant(now),
    }
    return sign_compact(payload, key, typ=APPROVAL_TYP)


class Wallet:
    """A person's wallet talking to the status service and the payment provider."""

    approves_baskets = True  # signs one approval over a set of carts (``approve_basket``)

    def __init__(
        self,
        *,
        key: SigningKey,
        identity: str,
        account_id: str,
        clock: Clock,
        status_service: httpx.Client,
        status_base_url: str,
        psp: httpx.Client,
        events: EventRecorder | None = None,
    ) -> None:
        self._events = events
        self.key = key
        self.identity = identity
        self.account_id = account_id
        self._clock = clock
        self._status = status_service
        self._status_base = status_base_url.rstrip("/")
        self._psp = psp

    def authorize(self, isr: ISR) -> IAC:
        """Sign an IAC for a confirmed ISR and register it with the status service."""
        delegation_id = new_id("dlg")
        iac = issue_iac(
            isr,
            delegation_id=delegation_id,
            delegator_identity=self.identity,
            delegator_key=self.key,
            now=self._clock.now(),
            status_url=f"{self._status_base}/delegations/{delegation_id}/status",
        )
        # Proof that this wallet holds the key, now, for this IAC (the status service finds
        # the key itself in its key directory).
        proof = sign_registration_proof(
            delegation_id, iac_digest(iac.token), key=self.key, now=self._clock.now()
        )
        self._post(self._status, "/delegations", {"iac": iac.token, "proof": proof})
        if self._events is not None:
            # The delegator issued the credential, so the delegator's key attests it.
            self._events(
                EventType.DELEGATION_ISSUED,
                Chain(intent_id=iac.intent_id, delegation_id=iac.delegation_id),
                [Participant("delegator", self.identity, self.key.kid)],
                {
                    "delegation_mode": iac.delegation_mode.value,
                    "max_total_amount": iac.max_total.to_json(),
                },
                self.key,
            )
        return iac

    def bind(self, iac: IAC) -> str:
        """Ask the payment provider for a restricted token bound to this IAC and agent."""
        binding = sign_binding(iac, account_id=self.account_id, key=self.key, now=self._clock.now())
        answer = self._post(self._psp, "/bindings", {"binding": binding})
        token = answer.get("payment_token")
        if not isinstance(token, str):
            raise WalletError("the payment provider issued no token")
        return token

    def approve(self, cart_token: str, merchant_keys: Mapping[str, PublicKey]) -> str:
        """Verify the merchant's signature on the cart, then approve exactly that cart."""
        cart = verify_compact(cart_token, merchant_keys, typ=CART_TYP).payload
        return sign_approval(cart, key=self.key, now=self._clock.now())

    def approve_basket(
        self, cart_tokens: Sequence[str], merchant_keys: Mapping[str, Mapping[str, PublicKey]]
    ) -> str:
        """Verify every cart with its own merchant's keys, then approve the set once."""
        carts = []
        for token in cart_tokens:
            merchant_id = peek_payload(token).get("merchant_id")
            keys = merchant_keys.get(merchant_id if isinstance(merchant_id, str) else "", {})
            carts.append(verify_compact(token, keys, typ=CART_TYP).payload)
        approval = basket_approval_for(carts, basket_id=new_id("bsk"), now=self._clock.now())
        return sign_basket_approval(approval, self.key)

    def transition(self, delegation_id: str, transition: Transition) -> dict[str, Any]:
        request = sign_transition_request(
            delegation_id, transition, key=self.key, actor=Actor.PRINCIPAL, now=self._clock.now()
        )
        return self._post(
            self._status, f"/delegations/{delegation_id}/transitions", {"request": request}
        )

    @staticmethod
    def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(path, json=body)
        if response.status_code >= 400:
            raise WalletError(f"{path}: {response.status_code} {response.text}")
        try:
            answer = loads_bounded(response.content)
        except ValueError as e:
            raise WalletError(f"{path}: the answer is not JSON") from e
        if not isinstance(answer, dict):
            raise WalletError(f"{path}: unexpected answer")
        return answer
