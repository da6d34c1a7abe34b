"""Value objects and codes shared by every TSD-CRD object (reference-v1 ``common.schema.json``).

Strategy: each object keeps the *wire* spelling of what it read (timestamps stay strings, an
optional member remembers whether it was there), so ``to_json()`` gives back exactly the object
that was signed and a signature over it still verifies. Parsed views (``instant``) are derived.
Objects validate when built; a schema check of the whole object happens in the object modules.

>>> MappingPolicy.from_json({"id": "level-map", "version": "1.0"}).to_json()
{'id': 'level-map', 'version': '1.0'}
>>> AntiReplay(nonce="n" * 16).token
'nonce:nnnnnnnnnnnnnnnn'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from trustcart.core.clock import parse_instant
from trustcart.core.errors import ValidationError
from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.schemas import is_rfc3339

PROFILE_VERSION = "reference-v1"
ASSOCIATED_CREDIT = "ASSOCIATED_CREDIT"  # the only credit source TSD-CRD may claim
ED25519 = "Ed25519"


class ConfirmationMethod(StrEnum):
    DIRECT_SIGNATURE = "DIRECT_SIGNATURE"  # subject inner signature + issuer outer signature
    ATTESTED_CONFIRMATION = "ATTESTED_CONFIRMATION"  # issuer outer signature only


class VerificationLevel(StrEnum):
    CREDENTIAL = "CREDENTIAL"  # level one: the credential itself
    ASSOCIATED_CREDIT = "ASSOCIATED_CREDIT"  # level two: current associated-credit information


class AuthorizationMode(StrEnum):
    PER_REQUEST = "PER_REQUEST"
    PLATFORM_DELEGATED = "PLATFORM_DELEGATED"


def instant(text: str) -> datetime:
    """Parse a wire timestamp (already schema-checked as RFC 3339) to an aware UTC datetime."""
    try:
        return parse_instant(text)
    except ValidationError as e:
        raise InvalidCreditObject(str(e)) from e


def require_timestamp(text: object, name: str) -> str:
    if not isinstance(text, str) or not is_rfc3339(text):
        raise InvalidCreditObject(f"{name} must be an RFC 3339 date-time")
    return text


def require_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidCreditObject(f"{name} must be a non-empty string")
    return value


def require_set(values: object, name: str) -> tuple[str, ...]:
    """A non-empty tuple of distinct non-empty strings (``stringSet``)."""
    if not isinstance(values, list | tuple) or not values:
        raise InvalidCreditObject(f"{name} must be a non-empty list")
    items = tuple(require_text(value, name) for value in values)
    if len(set(items)) != len(items):
        raise InvalidCreditObject(f"{name} must not repeat entries")
    return items


def put(out: dict[str, Any], name: str, value: Any) -> None:
    """Set an optional member only when it is present."""
    if value is not None:
        out[name] = value


@dataclass(frozen=True)
class JsonValue:
    """An opaque JSON value (a mapped credit value, a public key object), kept as JSON text.

    Stored as text so that the object stays immutable; ``value`` returns a fresh copy.
    """

    text: str

    @classmethod
    def of(cls, value: Any) -> JsonValue:
        try:
            return cls(json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True))
        except (TypeError, ValueError) as e:
            raise InvalidCreditObject("not a JSON value") from e

    @property
    def value(self) -> Any:
        return json.loads(self.text)


@dataclass(frozen=True)
class MappingPolicy:
    """The mapping rule and its version: one of TSD-CRD-MAP's three traceability elements."""

    id: str
    version: str

    def __post_init__(self) -> None:
        require_text(self.id, "mappingPolicy.id")
        require_text(self.version, "mappingPolicy.version")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> MappingPolicy:
        return cls(id=obj["id"], version=obj["version"])

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version}


@dataclass(frozen=True)
class StatusQuery:
    """Where the current credential status is read (``method`` absent means GET)."""

    uri: str
    method: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str):
            raise InvalidCreditObject("statusQuery.uri must be a string")
        if self.method not in (None, "GET", "POST"):
            raise InvalidCreditObject("statusQuery.method must be GET or POST")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> StatusQuery:
        return cls(uri=obj["uri"], method=obj.get("method"))

    def to_json(self) -> dict[str, str]:
        out = {"uri": self.uri}
        put(out, "method", self.method)
        return out


@dataclass(frozen=True)
class AntiReplay:
    """A nonce (16..256 chars) or an idempotency key (8..256 chars), or both."""

    nonce: str | None = None
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        if self.nonce is None and self.idempotency_key is None:
            raise InvalidCreditObject("antiReplay needs a nonce or an idempotencyKey")
        if self.nonce is not None and not (
            isinstance(self.nonce, str) and 16 <= len(self.nonce) <= 256
        ):
            raise InvalidCreditObject("antiReplay.nonce must be 16 to 256 characters")
        if self.idempotency_key is not None and not (
            isinstance(self.idempotency_key, str) and 8 <= len(self.idempotency_key) <= 256
        ):
            raise InvalidCreditObject("antiReplay.idempotencyKey must be 8 to 256 characters")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> AntiReplay:
        return cls(nonce=obj.get("nonce"), idempotency_key=obj.get("idempotencyKey"))

    def to_json(self) -> dict[str, str]:
        out: dict[str, str] = {}
        put(out, "nonce", self.nonce)
        put(out, "idempotencyKey", self.idempotency_key)
        return out

    @property
    def token(self) -> str:
        """The value a replay cache remembers (the nonce when there is one)."""
        if self.nonce is not None:
            return f"nonce:{self.nonce}"
        return f"idempotency:{self.idempotency_key}"


@dataclass(frozen=True)
class Proof:
    """A detached Ed25519 proof: ``keyId`` names the key, the key ring supplies it."""

    signature_value: str
    key_id: str | None = None
    signature_algorithm: str = ED25519

    def __post_init__(self) -> None:
        require_text(self.signature_value, "signatureValue")
        if self.signature_algorithm != ED25519:
            raise InvalidCreditObject("reference-v1 proofs use Ed25519")
        if self.key_id is not None:
            require_text(self.key_id, "keyId")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Proof:
        return cls(
            signature_value=obj["signatureValue"],
            key_id=obj.get("keyId"),
            signature_algorithm=obj["signatureAlgorithm"],
        )

    def to_json(self) -> dict[str, str]:
        out = {"signatureAlgorithm": self.signature_algorithm}
        put(out, "keyId", self.key_id)
        out["signatureValue"] = self.signature_value
        return out


@dataclass(frozen=True)
class SubjectPublicKey:
    """The associated subject's key as carried in a DIRECT_SIGNATURE credential (pem-spki)."""

    key_id: str
    value: JsonValue  # a PEM string, or an object form reference-v1 allows but does not define
    format: str = "pem-spki"

    def __post_init__(self) -> None:
        require_text(self.key_id, "subjectPublicKey.keyId")
        if self.format != "pem-spki":
            raise InvalidCreditObject("subjectPublicKey.format must be pem-spki")

    @property
    def pem(self) -> str | None:
        """The PEM text, or None when the key is in another form (it then cannot verify)."""
        value = self.value.value
        return value if isinstance(value, str) else None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> SubjectPublicKey:
        return cls(key_id=obj["keyId"], value=JsonValue.of(obj["value"]), format=obj["format"])

    def to_json(self) -> dict[str, Any]:
        return {"keyId": self.key_id, "format": self.format, "value": self.value.value}
