"""Registering IACs with the status service in tests: a key directory and proofs of possession.

``delegator_keys`` answers the status service's question (which keys speak for a person) from
an ``InMemoryKeyDirectory``, as ``local.deployment`` does; ``register`` sends an IAC with a
fresh proof signed by ``key``.
"""

from __future__ import annotations

from datetime import datetime

from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.iac import IAC
from trustcart.delegation.registration import DelegatorKeys, iac_digest, sign_registration_proof
from trustcart.delegation.service import DelegationService
from trustcart.trust.directory import InMemoryKeyDirectory, usable_key


def delegator_keys(directory: InMemoryKeyDirectory) -> DelegatorKeys:
    """The status service's view of ``directory``: a person's usable delegator keys."""

    def resolve(identity: str, kid: str, now: datetime) -> PublicKey | None:
        entry = usable_key(directory, kid, now, roles=("delegator",))
        return entry.public_key if entry is not None and entry.party_id == identity else None

    return resolve


def directory_with_delegator(key: SigningKey, identity: str = "user:alice") -> InMemoryKeyDirectory:
    directory = InMemoryKeyDirectory()
    directory.register(key.public, party_id=identity, role="delegator")
    return directory


def proof_for(
    iac: IAC | str,
    key: SigningKey,
    now: datetime,
    *,
    delegation_id: str | None = None,
    digest: str | None = None,
    nonce: str | None = None,
) -> str:
    """A proof of possession of ``key`` for ``iac`` at ``now``; the keywords falsify a part."""
    token = iac if isinstance(iac, str) else iac.token
    return sign_registration_proof(
        delegation_id or str(peek_payload(token)["delegation_id"]),
        digest or iac_digest(token),
        key=key,
        now=now,
        nonce=nonce,
    )


def register(service: DelegationService, iac: IAC, key: SigningKey, now: datetime) -> IAC:
    """Register ``iac`` as its delegator's wallet does (a fresh proof signed by ``key``)."""
    return service.register(iac.token, proof_for(iac, key, now))
