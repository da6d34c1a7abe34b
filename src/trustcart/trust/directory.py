"""The key directory: which public key belongs to which party, in which role, and until when.

Every verifier in trustcart (HTTP message signatures from agents, JWS from merchants, the
payment provider, the status service, the log) asks the directory for a key by its ``kid``
(RFC 7638 thumbprint). Rules kept here, all failing closed:

* an unknown ``kid`` resolves to nothing;
* a revoked key, a key outside its ``not_before``/``not_after`` window, or a key whose role is
  not the one the caller expects is never handed out by ``usable_key``;
* revocation is final: a revoked ``kid`` cannot be registered again;
* one ``kid`` belongs to exactly one party and role.

Parties publish their keys as JWKS (``jwks_for``), revoked keys left out.

>>> from trustcart.crypto.keys import SigningKey
>>> key = SigningKey.generate()
>>> directory = InMemoryKeyDirectory()
>>> _ = directory.register(key.public, party_id="agent:trustcart-assistant", role="agent")
>>> directory.resolve(key.kid).party_id
'agent:trustcart-assistant'
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, Protocol, get_args

from trustcart.core.errors import ValidationError
from trustcart.crypto.keys import PublicKey, jwks

Role = Literal["agent", "merchant", "psp", "delegator", "status", "log", "witness"]
ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True)
class DirectoryEntry:
    """One published key. An entry that exists is well formed."""

    party_id: str
    role: str
    public_key: PublicKey
    not_before: datetime | None = None
    not_after: datetime | None = None
    revoked: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.party_id, str) or not self.party_id.strip():
            raise ValidationError("party_id must be a non-empty string")
        if self.role not in ROLES:
            raise ValidationError(f"role must be one of {', '.join(ROLES)}")
        if not isinstance(self.public_key, PublicKey):
            raise ValidationError("public_key must be a PublicKey")
        for instant in (self.not_before, self.not_after):
            if instant is not None and instant.tzinfo is None:
                raise ValidationError("key validity instants must be timezone-aware")
        if (
            self.not_before is not None
            and self.not_after is not None
            and self.not_after <= self.not_before
        ):
            raise ValidationError("not_after must be later than not_before")

    @property
    def kid(self) -> str:
        return self.public_key.kid

    def usable_at(self, now: datetime) -> bool:
        """Not revoked and inside its validity window at ``now``."""
        if self.revoked:
            return False
        if self.not_before is not None and now < self.not_before:
            return False
        return not (self.not_after is not None and now >= self.not_after)


class KeyDirectory(Protocol):
    def resolve(self, kid: str) -> DirectoryEntry | None:
        """The entry for ``kid`` (revoked ones included, so callers can tell), or None."""
        ...


def usable_key(
    directory: KeyDirectory, kid: str, now: datetime, *, roles: Collection[str] | None = None
) -> DirectoryEntry | None:
    """The entry for ``kid`` if it may be trusted at ``now`` in one of ``roles``; else None."""
    if not isinstance(kid, str) or not kid:
        return None
    entry = directory.resolve(kid)
    if entry is None or entry.kid != kid or not entry.usable_at(now):
        return None
    if roles is not None and entry.role not in roles:
        return None
    return entry


class InMemoryKeyDirectory:
    """A key directory held in memory (demo, tests, and one-process deployments)."""

    def __init__(self) -> None:
        self._entries: dict[str, DirectoryEntry] = {}
        self._lock = threading.Lock()

    def register(
        self,
        public_key: PublicKey,
        *,
        party_id: str,
        role: str,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> DirectoryEntry:
        """Publish a key. Registering the same key again for the same party is a no-op."""
        entry = DirectoryEntry(
            party_id=party_id,
            role=role,
            public_key=public_key,
            not_before=not_before,
            not_after=not_after,
        )
        with self._lock:
            existing = self._entries.get(entry.kid)
            if existing is not None:
                if existing.revoked:
                    raise ValidationError(f"key {entry.kid} was revoked and cannot return")
                if (existing.party_id, existing.role) != (party_id, role):
                    raise ValidationError(f"key {entry.kid} already belongs to {existing.party_id}")
            self._entries[entry.kid] = entry
        return entry

    def revoke(self, kid: str) -> DirectoryEntry:
        """Revoke a key for good; raise ``ValidationError`` if it is unknown."""
        with self._lock:
            existing = self._entries.get(kid)
            if existing is None:
                raise ValidationError(f"unknown key {kid}")
            revoked = replace(existing, revoked=True)
            self._entries[kid] = revoked
        return revoked

    def resolve(self, kid: str) -> DirectoryEntry | None:
        return self._entries.get(kid)

    def entries(self) -> Iterator[DirectoryEntry]:
        return iter(list(self._entries.values()))

    def jwks_for(self, party_id: str) -> dict[str, Any]:
        """The party's published JWK Set: its keys that are not revoked."""
        return jwks(
            entry.public_key
            for entry in self.entries()
            if entry.party_id == party_id and not entry.revoked
        )
