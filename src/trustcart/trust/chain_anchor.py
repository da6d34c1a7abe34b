"""Chain anchors (ACT TSD-ATT-OCA): the log's signed tree heads, anchored into a witness.

Strategy. ACT anchors each off-chain record's payload hash on "ACT Trust Chain". trustcart
anchors the log's *tree heads* instead: one tree head binds every record below it (inclusion
proofs), so anchoring heads anchors every record at once, and the anchors stay few. The anchor
is a JWS Compact (``typ: act-anchor+jwt``) signed by the submitter, the log, with TSD-ATT-OCA's
payload fields; the witness (``trust.witness``, a separate service with its own key and store)
keeps it, gives it a height, and answers with a receipt it signs (``act-anchor-receipt+jwt``).

Anchor payload (JCS)::

    {"anchor_id": "log:trustcart/12", "version": "1",
     "event_type": "trustcart:log:tree-head", "event_time": "<the head's timestamp>",
     "iat": 1764662400, "submitter": "log:trustcart",
     "payload_hash": "<b64url SHA-256(JCS({log_id, tree_size, root_hash}))>",
     "hash_alg": "sha-256", "privacy_channel": "trustcart-public",
     "ext": {"log_id": "log:trustcart", "tree_size": 12, "root_hash": "<b64url>",
             "prev_anchor_id": "log:trustcart/9" | null, "prev_chain_hash": "<b64url>",
             "chain_hash": "<b64url SHA-256(prev_chain_hash || payload_hash)>"}}

Rules:

* ``anchor_id`` is ``<log_id>/<tree_size>``: one anchor per size, so a second root for a size
  the log already anchored (a fork) is a conflicting body under an existing id, refused;
* ``payload_hash`` covers the head's size and root, not its timestamp, so every head the log
  signs for one size has the same hash (a bundle's fresh head matches the anchor of its size);
* anchors chain: ``chain_hash`` = SHA-256(raw ``prev_chain_hash`` || raw ``payload_hash``),
  the first anchor's ``prev_chain_hash`` being 32 zero bytes; the log signs the link, so a
  witness that drops or rewrites an anchor cannot produce the chain the next anchor names;
* no correlation ids (``intent_id``, ``delegation_id``, ``out_trade_no``, ``trade_no``): a head
  covers many purchases, naming one would mislead (docs/witness.md lists this deviation).

>>> from trustcart.trust.merkle import EMPTY_ROOT
>>> key = SigningKey.generate()
>>> head = TreeHead("log:demo", 0, EMPTY_ROOT, "2026-11-29T08:00:00Z")
>>> claims = anchor_for(head, None, issued_at=parse_instant("2026-11-29T08:00:01Z"))
>>> claims.anchor_id, claims.prev_anchor_id
('log:demo/0', None)
>>> verify_anchor(sign_anchor(claims, key), {key.kid: key.public}) == claims
True
>>> claims.links_to(None)
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trustcart.core.clock import format_instant, parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.typs import ANCHOR_RECEIPT_TYP, ANCHOR_TYP
from trustcart.crypto.jcs import b64url, b64url_decode, canonicalize
from trustcart.crypto.jws import KeyResolver, sign_compact, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.trust.errors import InvalidTreeHead
from trustcart.trust.merkle import HASH_SIZE
from trustcart.trust.treehead import TreeHead

ANCHOR_VERSION = "1"
ANCHOR_EVENT_TYPE = "trustcart:log:tree-head"
HASH_ALG = "sha-256"
PRIVACY_CHANNEL = "trustcart-public"
GENESIS_CHAIN_HASH = b64url(bytes(HASH_SIZE))

_FIELDS = {
    "anchor_id",
    "version",
    "event_type",
    "event_time",
    "iat",
    "submitter",
    "payload_hash",
    "hash_alg",
    "privacy_channel",
    "ext",
}
_EXT = {"log_id", "tree_size", "root_hash", "prev_anchor_id", "prev_chain_hash", "chain_hash"}
_RECEIPT = {"anchor_id", "height", "anchor_hash", "chain_hash", "witness_id", "recorded_at"}

__all__ = [
    "ANCHOR_EVENT_TYPE",
    "GENESIS_CHAIN_HASH",
    "AnchorClaims",
    "WitnessReceipt",
    "anchor_for",
    "anchor_hash",
    "next_chain_hash",
    "sign_anchor",
    "sign_receipt",
    "tree_head_hash",
    "verify_anchor",
    "verify_receipt",
]


def _hash32(text: Any, what: str) -> bytes:
    try:
        raw = b64url_decode(text)
    except ValidationError as e:
        raise InvalidTreeHead(f"{what} is not base64url") from e
    if len(raw) != HASH_SIZE or b64url(raw) != text:
        raise InvalidTreeHead(f"{what} must be canonical base64url of {HASH_SIZE} bytes")
    return raw


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidTreeHead(f"{what} must be a non-empty string")
    return value


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidTreeHead(f"{what} must be a non-negative integer")
    return value


def tree_head_hash(log_id: str, tree_size: int, root_hash: bytes) -> str:
    """b64url(SHA-256(JCS({log_id, tree_size, root_hash}))): a head's hash, timestamp aside.

    >>> tree_head_hash("log:demo", 0, bytes(32)) == tree_head_hash("log:demo", 1, bytes(32))
    False
    """
    body = {"log_id": log_id, "tree_size": tree_size, "root_hash": b64url(root_hash)}
    return b64url(hashlib.sha256(canonicalize(body)).digest())


def next_chain_hash(prev_chain_hash: str, payload_hash: str) -> str:
    """b64url(SHA-256(raw prev_chain_hash || raw payload_hash)): one link of the chain."""
    prev = _hash32(prev_chain_hash, "prev_chain_hash")
    return b64url(hashlib.sha256(prev + _hash32(payload_hash, "payload_hash")).digest())


def anchor_hash(token: str) -> str:
    """b64url(SHA-256(the anchor's compact JWS, ASCII)): what a witness receipt binds."""
    return b64url(hashlib.sha256(token.encode("ascii")).digest())


@dataclass(frozen=True)
class AnchorClaims:
    """One anchor's payload. Built valid in shape; chain arithmetic is ``links_to``'s job."""

    anchor_id: str
    event_time: str
    iat: int
    submitter: str
    payload_hash: str
    log_id: str
    tree_size: int
    root_hash: str
    prev_anchor_id: str | None
    prev_chain_hash: str
    chain_hash: str
    privacy_channel: str = PRIVACY_CHANNEL

    def __post_init__(self) -> None:
        for name in ("anchor_id", "submitter", "log_id", "privacy_channel"):
            _text(getattr(self, name), name)
        try:
            parse_instant(self.event_time)
        except (ValidationError, TypeError) as e:
            raise InvalidTreeHead("event_time must be an RFC 3339 instant") from e
        _count(self.iat, "iat")
        _count(self.tree_size, "tree_size")
        for name in ("payload_hash", "root_hash", "prev_chain_hash", "chain_hash"):
            _hash32(getattr(self, name), name)
        if self.prev_anchor_id is not None:
            _text(self.prev_anchor_id, "prev_anchor_id")
        if self.anchor_id != f"{self.log_id}/{self.tree_size}":
            raise InvalidTreeHead("anchor_id must be <log_id>/<tree_size>")

    def covers(self, log_id: str, tree_size: int, root_hash: bytes) -> bool:
        """True when this anchor is of exactly that head (its hash recomputed)."""
        return (
            self.log_id == log_id
            and self.tree_size == tree_size
            and self.root_hash == b64url(root_hash)
            and self.payload_hash == tree_head_hash(log_id, tree_size, root_hash)
        )

    def links_to(self, previous: AnchorClaims | None) -> bool:
        """True when this anchor's chain hash follows from ``previous`` (None: the first)."""
        expected_prev: tuple[str | None, str]
        if previous is None:
            expected_prev = (None, GENESIS_CHAIN_HASH)
        else:
            expected_prev = (previous.anchor_id, previous.chain_hash)
        if (self.prev_anchor_id, self.prev_chain_hash) != expected_prev:
            return False
        return self.chain_hash == next_chain_hash(self.prev_chain_hash, self.payload_hash)

    def to_json(self) -> dict[str, Any]:
        return {
            "anchor_id": self.anchor_id,
            "version": ANCHOR_VERSION,
            "event_type": ANCHOR_EVENT_TYPE,
            "event_time": self.event_time,
            "iat": self.iat,
            "submitter": self.submitter,
            "payload_hash": self.payload_hash,
            "hash_alg": HASH_ALG,
            "privacy_channel": self.privacy_channel,
            "ext": {
                "log_id": self.log_id,
                "tree_size": self.tree_size,
                "root_hash": self.root_hash,
                "prev_anchor_id": self.prev_anchor_id,
                "prev_chain_hash": self.prev_chain_hash,
                "chain_hash": self.chain_hash,
            },
        }

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> AnchorClaims:
        if not isinstance(payload, Mapping) or set(payload) != _FIELDS:
            raise InvalidTreeHead(f"an anchor has exactly the fields {sorted(_FIELDS)}")
        ext = payload["ext"]
        if not isinstance(ext, Mapping) or set(ext) != _EXT:
            raise InvalidTreeHead(f"an anchor's ext has exactly the fields {sorted(_EXT)}")
        if (payload["version"], payload["event_type"], payload["hash_alg"]) != (
            ANCHOR_VERSION,
            ANCHOR_EVENT_TYPE,
            HASH_ALG,
        ):
            raise InvalidTreeHead("unsupported anchor version, event type or hash algorithm")
        return cls(
            anchor_id=payload["anchor_id"],
            event_time=payload["event_time"],
            iat=payload["iat"],
            submitter=payload["submitter"],
            payload_hash=payload["payload_hash"],
            log_id=ext["log_id"],
            tree_size=ext["tree_size"],
            root_hash=ext["root_hash"],
            prev_anchor_id=ext["prev_anchor_id"],
            prev_chain_hash=ext["prev_chain_hash"],
            chain_hash=ext["chain_hash"],
            privacy_channel=payload["privacy_channel"],
        )


def anchor_for(
    head: TreeHead,
    previous: AnchorClaims | None,
    *,
    issued_at: datetime,
    privacy_channel: str = PRIVACY_CHANNEL,
) -> AnchorClaims:
    """The anchor of ``head``, chained after ``previous`` (None for the log's first anchor)."""
    payload_hash = tree_head_hash(head.log_id, head.tree_size, head.root_hash)
    prev_chain = GENESIS_CHAIN_HASH if previous is None else previous.chain_hash
    return AnchorClaims(
        anchor_id=f"{head.log_id}/{head.tree_size}",
        event_time=head.timestamp,
        iat=int(issued_at.astimezone(UTC).timestamp()),
        submitter=head.log_id,
        payload_hash=payload_hash,
        log_id=head.log_id,
        tree_size=head.tree_size,
        root_hash=b64url(head.root_hash),
        prev_anchor_id=None if previous is None else previous.anchor_id,
        prev_chain_hash=prev_chain,
        chain_hash=next_chain_hash(prev_chain, payload_hash),
        privacy_channel=privacy_channel,
    )


def sign_anchor(claims: AnchorClaims, submitter_key: SigningKey) -> str:
    """The anchor as a compact JWS signed by the submitter (the log)."""
    return sign_compact(claims.to_json(), submitter_key, typ=ANCHOR_TYP)


def verify_anchor(token: str, keys: Mapping[str, PublicKey] | KeyResolver) -> AnchorClaims:
    """Verify (``InvalidSignature``) and parse (``InvalidTreeHead``) an anchor."""
    return AnchorClaims.from_json(verify_compact(token, keys, typ=ANCHOR_TYP).payload)


@dataclass(frozen=True)
class WitnessReceipt:
    """The witness's signed word: it holds ``anchor_hash`` under ``anchor_id`` at ``height``."""

    anchor_id: str
    height: int
    anchor_hash: str
    chain_hash: str
    witness_id: str
    recorded_at: str

    def __post_init__(self) -> None:
        _text(self.anchor_id, "anchor_id")
        _text(self.witness_id, "witness_id")
        _count(self.height, "height")
        _hash32(self.anchor_hash, "anchor_hash")
        _hash32(self.chain_hash, "chain_hash")
        try:
            parse_instant(self.recorded_at)
        except (ValidationError, TypeError) as e:
            raise InvalidTreeHead("recorded_at must be an RFC 3339 instant") from e

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(_RECEIPT)}

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> WitnessReceipt:
        if not isinstance(payload, Mapping) or set(payload) != _RECEIPT:
            raise InvalidTreeHead(f"a witness receipt has exactly the fields {sorted(_RECEIPT)}")
        return cls(**{name: payload[name] for name in _RECEIPT})

    @classmethod
    def of(
        cls, token: str, claims: AnchorClaims, height: int, witness_id: str, at: datetime
    ) -> WitnessReceipt:
        """The receipt for anchor ``token`` (whose payload is ``claims``) at ``height``."""
        return cls(
            claims.anchor_id,
            height,
            anchor_hash(token),
            claims.chain_hash,
            witness_id,
            format_instant(at),
        )


def sign_receipt(receipt: WitnessReceipt, witness_key: SigningKey) -> str:
    """The receipt as a compact JWS signed by the witness."""
    return sign_compact(receipt.to_json(), witness_key, typ=ANCHOR_RECEIPT_TYP)


def verify_receipt(token: str, keys: Mapping[str, PublicKey] | KeyResolver) -> WitnessReceipt:
    """Verify (``InvalidSignature``) and parse (``InvalidTreeHead``) a witness receipt."""
    return WitnessReceipt.from_json(verify_compact(token, keys, typ=ANCHOR_RECEIPT_TYP).payload)
