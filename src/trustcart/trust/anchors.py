"""Trust anchors: which key belongs to which party, in which roles, and for how long.

A bundle lists its own keys and says which role each plays; on their own those keys prove only
that the bundle's parties agree with one another. Trust anchors are what a verifier got
elsewhere (from the parties, a registry, its own key directory): each key bound to one party
(``user:alice``, ``m_tea``, ``psp:trustcart``) and to the roles it may sign in. A key anchored
as merchant ``m_tea`` proves nothing about the person, the payment provider, the status service,
the log, or another merchant.

The file (``trustcart-trust-anchors/1``) is a JWKS whose entries carry three more members::

    {"format": "trustcart-trust-anchors/1",
     "keys": [{"kty": "OKP", "crv": "Ed25519", "x": "...", "kid": "<RFC 7638 thumbprint>",
               "party_id": "user:alice", "roles": ["delegator"],
               "not_before": "2026-11-01T00:00:00Z", "not_after": "2027-11-01T00:00:00Z"}]}

Rules, all failing closed (``AnchorsError`` when reading, a reason when vouching):

* ``format`` must be there: a plain JWKS names keys, not parties, so it is refused rather than
  taken as anchors (it could only ever say "some key I know signed this");
* every entry is a public JWK whose ``kid`` is its thumbprint, with a non-empty ``party_id`` and
  a non-empty list of distinct roles (``delegator``, ``agent``, ``merchant``, ``psp``,
  ``status``, ``log``); a ``kid`` appears once;
* ``not_before`` / ``not_after`` are optional; the key is valid in ``[not_before, not_after)``.

>>> from trustcart.crypto.keys import SigningKey
>>> key = SigningKey.generate()
>>> anchors = TrustAnchors((Anchor(key.public, "m_tea", ("merchant",)),))
>>> anchors.mismatch(key.kid, role="merchant", party="m_tea") is None
True
>>> anchors.mismatch(key.kid, role="psp", party="psp:trustcart").split(" is ")[1]
'anchored for m_tea as merchant, not for psp:trustcart as psp'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from trustcart.core.clock import format_instant, parse_instant
from trustcart.core.errors import ValidationError
from trustcart.crypto.errors import KeyFormatError
from trustcart.crypto.keys import PublicKey
from trustcart.trust.directory import ROLES, DirectoryEntry
from trustcart.trust.errors import AnchorsError

ANCHORS_FORMAT = "trustcart-trust-anchors/1"
_ANCHOR_MEMBERS = ("party_id", "roles", "not_before", "not_after")

__all__ = ["ANCHORS_FORMAT", "Anchor", "TrustAnchors", "load_anchors_file"]


def _short(kid: str) -> str:
    return kid[:12] + "..." if len(kid) > 12 else kid


@dataclass(frozen=True)
class Anchor:
    """One anchored key: whose it is, which roles it signs in, and its validity window."""

    key: PublicKey
    party_id: str
    roles: tuple[str, ...]
    not_before: datetime | None = None
    not_after: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, PublicKey):
            raise AnchorsError("an anchor needs a public key")
        if not isinstance(self.party_id, str) or not self.party_id.strip():
            raise AnchorsError(f"anchor {_short(self.key.kid)} needs a party_id")
        roles = self.roles
        if (
            not isinstance(roles, tuple)
            or not roles
            or len(set(roles)) != len(roles)
            or not all(isinstance(r, str) and r in ROLES for r in roles)
        ):
            raise AnchorsError(
                f"anchor {_short(self.key.kid)} needs distinct roles among {', '.join(ROLES)}"
            )
        for instant in (self.not_before, self.not_after):
            if instant is not None and instant.tzinfo is None:
                raise AnchorsError("anchor validity instants must be timezone-aware")
        if self.not_before and self.not_after and self.not_after <= self.not_before:
            raise AnchorsError(f"anchor {_short(self.key.kid)}: not_after is not after not_before")

    @property
    def kid(self) -> str:
        return self.key.kid

    def valid_at(self, at: datetime) -> bool:
        """Inside ``[not_before, not_after)``; an absent bound does not limit."""
        if self.not_before is not None and at < self.not_before:
            return False
        return self.not_after is None or at < self.not_after

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            **self.key.to_jwk(),
            "party_id": self.party_id,
            "roles": list(self.roles),
        }
        if self.not_before is not None:
            entry["not_before"] = format_instant(self.not_before)
        if self.not_after is not None:
            entry["not_after"] = format_instant(self.not_after)
        return entry

    @classmethod
    def from_json(cls, entry: Any) -> Anchor:
        if not isinstance(entry, Mapping):
            raise AnchorsError("every anchors entry is a JSON object")
        if "party_id" not in entry or "roles" not in entry:
            raise AnchorsError(
                "an anchors entry without party_id and roles is a bare key: it cannot say "
                "whose key it is"
            )
        jwk = {name: value for name, value in entry.items() if name not in _ANCHOR_MEMBERS}
        try:
            key = PublicKey.from_jwk(jwk)
        except (KeyFormatError, KeyError, TypeError, ValueError) as e:
            raise AnchorsError(f"an anchors entry is not a usable public JWK: {e}") from e
        if jwk.get("kid") != key.kid:
            raise AnchorsError("every anchored key needs its kid, the RFC 7638 thumbprint")
        roles = entry["roles"]
        if not isinstance(roles, list):
            raise AnchorsError(f"roles of {_short(key.kid)} must be a list")
        return cls(
            key,
            entry["party_id"],
            tuple(roles),
            _instant(entry, "not_before"),
            _instant(entry, "not_after"),
        )


def _instant(entry: Mapping[str, Any], name: str) -> datetime | None:
    value = entry.get(name)
    if value is None:
        return None
    try:
        return parse_instant(value)
    except (ValidationError, TypeError) as e:
        raise AnchorsError(f"{name} must be an RFC 3339 instant") from e


@dataclass(frozen=True)
class TrustAnchors:
    """A set of anchored keys, one entry per ``kid``."""

    anchors: tuple[Anchor, ...]
    _by_kid: dict[str, Anchor] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_kid: dict[str, Anchor] = {}
        for anchor in self.anchors:
            if not isinstance(anchor, Anchor):
                raise AnchorsError("trust anchors hold Anchor entries")
            if anchor.kid in by_kid:
                raise AnchorsError(f"key {_short(anchor.kid)} is anchored twice")
            by_kid[anchor.kid] = anchor
        object.__setattr__(self, "_by_kid", by_kid)

    def get(self, kid: str) -> Anchor | None:
        return self._by_kid.get(kid) if isinstance(kid, str) else None

    def mismatch(
        self,
        kid: str,
        *,
        role: str,
        party: str,
        key: PublicKey | None = None,
        at: datetime | None = None,
    ) -> str | None:
        """Why ``kid`` may not sign as ``party`` in ``role`` (at ``at``), or None if it may.

        ``key``, when given, must be the anchored key itself (the same JWK), so a bundle cannot
        list another key under an anchored ``kid``.
        """
        anchor = self.get(kid)
        if anchor is None:
            return f"key {_short(kid)} is not anchored"
        if key is not None and key.jwk != anchor.key.jwk:
            return f"key {_short(kid)} is not the anchored key of that kid"
        if anchor.party_id != party or role not in anchor.roles:
            return (
                f"key {_short(kid)} is anchored for {anchor.party_id} as "
                f"{'/'.join(anchor.roles)}, not for {party} as {role}"
            )
        if at is not None and not anchor.valid_at(at):
            return f"key {_short(kid)} of {party} is not valid at {format_instant(at)}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {"format": ANCHORS_FORMAT, "keys": [a.to_json() for a in self.anchors]}

    @classmethod
    def from_json(cls, document: Any) -> TrustAnchors:
        """Parse an anchors document; ``AnchorsError`` for anything that is not one."""
        if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
            raise AnchorsError(f"trust anchors are a JSON object with format {ANCHORS_FORMAT}")
        if "format" not in document:
            raise AnchorsError(
                "this is a plain JWKS: its keys carry no party or role, so it cannot anchor "
                f"trust; give a {ANCHORS_FORMAT} file (see docs/wire-formats.md)"
            )
        if document["format"] != ANCHORS_FORMAT:
            raise AnchorsError(f"unknown anchors format {document['format']!r}")
        return cls(tuple(Anchor.from_json(entry) for entry in document["keys"]))

    @classmethod
    def from_directory(cls, entries: Iterable[DirectoryEntry]) -> TrustAnchors:
        """Anchors for every key of a key directory that is not revoked."""
        return cls(
            tuple(
                Anchor(e.public_key, e.party_id, (e.role,), e.not_before, e.not_after)
                for e in entries
                if not e.revoked
            )
        )


def load_anchors_file(path: str | Path) -> TrustAnchors:
    """Read a ``trustcart-trust-anchors/1`` file; ``AnchorsError`` if it is not a usable one."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise AnchorsError(f"cannot read {path}: {e}") from e
    except ValueError as e:
        raise AnchorsError(f"{path} is not JSON: {e}") from e
    try:
        return TrustAnchors.from_json(document)
    except AnchorsError as e:
        raise AnchorsError(f"{path}: {e}") from e
