"""AP2 test helpers: a payments ``World`` whose delegator also holds an ES256 mandate key, and
the agent's ES256 key, with the wallet's mandates issued and presented for a cart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS

from tests.helpers.payments import AGENT, MERCHANT, PSP_ID, World
from trustcart.assistant.ap2_wallet import AP2Mandates, issue_mandates, present_mandates
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.ap2.sdjwt import sha256_b64url


@dataclass
class AP2Parties:
    world: World
    mandate_key: SigningKey  # the delegator's (the wallet's) ES256 key, published for user:alice
    agent_key: SigningKey  # the agent's ES256 key (``cnf``)

    @property
    def now(self) -> datetime:
        return self.world.now

    def issue(self, cart: str, **kwargs: Any) -> AP2Mandates:
        merchant = self.world.merchant_key.public
        return issue_mandates(
            cart,
            {merchant.kid: merchant},
            iac=self.world.iac,
            mandate_key=kwargs.pop("mandate_key", self.mandate_key),
            agent_key=kwargs.pop("agent_public", self.agent_key.public),
            now=kwargs.pop("now", self.now),
            **kwargs,
        )

    def body(
        self, mandates: AP2Mandates, *, request_id: str = "req_ap2_1", **extra: Any
    ) -> dict[str, Any]:
        presented = present_mandates(
            mandates, agent_key=self.agent_key, psp_id=PSP_ID, request_id=request_id, now=self.now
        )
        body = {
            "payment_token": self.world.token,
            "iac": self.world.iac.token,
            "request_id": request_id,
            "checkout_mandate": presented.checkout,
            "payment_mandate": presented.payment,
        }
        body.update(extra)
        return body

    def pay(self, body: dict[str, Any], *, key: str = "idem_ap2_1") -> Any:
        return self.world.provider.submit_ap2_payment(
            agent_id=AGENT, idempotency_key=key, request=body
        )


def key_binding_jwt(
    unbound: str, key: SigningKey, *, audience: str, nonce: str, iat: datetime
) -> str:
    """A KB-JWT over ``unbound`` (an SD-JWT ending in ``~``), signed with jwcrypto directly:
    what a misbehaving holder could send."""
    payload = {
        "aud": audience,
        "nonce": nonce,
        "iat": int(iat.timestamp()),
        "sd_hash": sha256_b64url(unbound),
    }
    jws = JWS(payload=json.dumps(payload))
    jws.add_signature(
        JWK(**key.to_private_jwk()),
        alg="ES256",
        protected=json.dumps({"alg": "ES256", "typ": "kb+jwt"}),
    )
    token: str = jws.serialize(compact=True)
    return token


def make_ap2_parties(world: World) -> AP2Parties:
    mandate_key, agent_key = SigningKey.generate("ES256"), SigningKey.generate("ES256")
    world.directory.register(mandate_key.public, party_id="user:alice", role="delegator")
    return AP2Parties(world, mandate_key, agent_key)


__all__ = ["MERCHANT", "AP2Parties", "make_ap2_parties"]
