"""Signed tree heads (RFC 9162 §4.10 in spirit): a log's size and root, signed by the log.

Payload (JCS, JWS ``typ: act-sth+jwt``, signed by the key whose role is ``log``)::

    {"log_id": "log:trustcart", "tree_size": 4, "root_hash": "<b64url, 32 bytes>",
     "timestamp": "2026-11-29T08:00:00Z"}

A tree head is the one signature that binds every leaf below it: inclusion proofs are checked
against ``root_hash`` and are otherwise unsigned.

>>> key = SigningKey.generate()
>>> head = TreeHead("log:demo", 0, EMPTY_ROOT, "2026-11-29T08:00:00Z")
>>> verify_tree_head(sign_tree_head(head, key), {key.kid: key.public}) == head
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trustcart.core.clock import parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.typs import STH_TYP
from trustcart.crypto.jcs import b64url, b64url_decode
from trustcart.crypto.jws import KeyResolver, sign_compact, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.trust.errors import InvalidTreeHead
from trustcart.trust.merkle import EMPTY_ROOT, HASH_SIZE

_FIELDS = {"log_id", "tree_size", "root_hash", "timestamp"}

__all__ = ["EMPTY_ROOT", "STH_TYP", "TreeHead", "sign_tree_head", "verify_tree_head"]


@dataclass(frozen=True)
class TreeHead:
    """What a signed tree head says: ``tree_size`` leaves hash to ``root_hash``."""

    log_id: str
    tree_size: int
    root_hash: bytes
    timestamp: str

    def __post_init__(self) -> None:
        if not isinstance(self.log_id, str) or not self.log_id:
            raise InvalidTreeHead("log_id must be a non-empty string")
        if (
            isinstance(self.tree_size, bool)
            or not isinstance(self.tree_size, int)
            or (self.tree_size < 0)
        ):
            raise InvalidTreeHead("tree_size must be a non-negative integer")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise InvalidTreeHead(f"root_hash must be {HASH_SIZE} bytes")
        try:
            parse_instant(self.timestamp)
        except ValidationError as e:
            raise InvalidTreeHead("timestamp must be an RFC 3339 instant") from e

    def to_json(self) -> dict[str, Any]:
        return {
            "log_id": self.log_id,
            "tree_size": self.tree_size,
            "root_hash": b64url(self.root_hash),
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> TreeHead:
        if not isinstance(payload, Mapping) or set(payload) != _FIELDS:
            raise InvalidTreeHead(f"a tree head has exactly the fields {sorted(_FIELDS)}")
        try:
            root = b64url_decode(payload["root_hash"])
        except ValidationError as e:
            raise InvalidTreeHead("root_hash is not base64url") from e
        return cls(payload["log_id"], payload["tree_size"], root, payload["timestamp"])


def sign_tree_head(head: TreeHead, log_key: SigningKey) -> str:
    """The compact JWS of a tree head."""
    return sign_compact(head.to_json(), log_key, typ=STH_TYP)


def verify_tree_head(token: str, keys: Mapping[str, PublicKey] | KeyResolver) -> TreeHead:
    """Verify the signature (raises ``InvalidSignature``) and parse (raises ``InvalidTreeHead``)."""
    return TreeHead.from_json(verify_compact(token, keys, typ=STH_TYP).payload)
