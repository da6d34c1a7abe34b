"""Attestation records (ACT TSD-ATT-EVT / TSD-ATT-OFF). Pure: time, randomness and keys come in.

A record has ACT's six parts: metadata (``record_id``, ``version``, ``event_type``,
``event_time``, ``created_at``), chain ids (``intent_id`` required; ``delegation_id``,
``out_trade_no``, ``trade_no`` when they apply), a salt and hash, the participants, the
``event_body`` and the initiator's signature. The payload (wire-formats.md)::

    {"record_id": "att_...", "version": "1", "event_type": "act:commerce:cart-confirmed",
     "event_time": "...Z", "created_at": "...Z",
     "chain": {"intent_id": "int_...", "delegation_id": "dlg_...", "out_trade_no": "ord_..."},
     "participants": [{"role": "merchant", "id": "m_1", "kid": "..."}, ...],
     "salt": "<b64url, >= 16 bytes>", "hash_alg": "sha-256", "payload_hash": "<b64url>",
     "event_body": {...}}

``payload_hash`` = SHA-256(JCS({"event_body", "participants"}) || salt): the salt, fresh from a
CSPRNG for every record, keeps a small body (an amount, a status) from being guessed back from
its hash once the hash alone is published. The whole payload is signed as a JWS
(``typ: act-attestation+jwt``) by the **initiator**: the participant whose ``kid`` is the JWS
``kid``. A record whose signer is not one of its participants is refused.

ACT forbids names, ID numbers, contacts, cards and accounts in ``event_body``; ``build_record``
refuses any body with a key that names such data, or a value that looks like an e-mail address.

>>> from datetime import UTC
>>> key = SigningKey.generate()
>>> me = Participant("merchant", "m_1", key.kid)
>>> record = build_record(event_type=EventType.CART_CONFIRMED, chain=Chain("int_1"),
...     participants=[me], event_body={"total": {"amount": "18.00", "currency": "CNY"}},
...     now=datetime(2026, 11, 29, tzinfo=UTC), random_bytes=lambda n: bytes(n))
>>> verify_record(sign_record(record, key), {key.kid: key.public}).initiator == me
True
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from trustcart.core.clock import format_instant, parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.typs import ATTESTATION_TYP
from trustcart.crypto.jcs import b64url, b64url_decode, canonicalize
from trustcart.crypto.jws import KeyResolver, peek_header, sign_compact, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.trust.errors import InvalidRecord, PersonalDataError

__all__ = [
    "ATTESTATION_TYP",
    "Chain",
    "EventType",
    "Participant",
    "VerifiedRecord",
    "build_record",
    "check_event_body",
    "compute_payload_hash",
    "parse_record",
    "sign_record",
    "verify_record",
]

RECORD_VERSION = "1"
HASH_ALG = "sha-256"
SALT_BYTES = 16  # ACT: at least 128 bits
_FIELDS = {
    "record_id",
    "version",
    "event_type",
    "event_time",
    "created_at",
    "chain",
    "participants",
    "salt",
    "hash_alg",
    "payload_hash",
    "event_body",
}
_CHAIN_FIELDS = ("intent_id", "delegation_id", "out_trade_no", "trade_no")


class EventType(StrEnum):
    """ACT 2.1 §5: the complete set of attestation event types (names and triggers are frozen)."""

    INTENT_CREATED = "act:delegation:intent-created"
    DELEGATION_ISSUED = "act:delegation:delegation-issued"
    DELEGATION_SUSPENDED = "act:delegation:delegation-suspended"
    DELEGATION_RESUMED = "act:delegation:delegation-resumed"
    DELEGATION_REVOKED = "act:delegation:delegation-revoked"
    DELEGATION_EXPIRED = "act:delegation:delegation-expired"
    DECISION_LOGGED = "act:commerce:decision-logged"
    CART_CONFIRMED = "act:commerce:cart-confirmed"
    TRANSACTION_COMPLETED = "act:payment:transaction-completed"
    FULFILLMENT_COMPLETED = "act:commerce:fulfillment-completed"


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRecord(f"{name} must be a non-empty string")
    return value


@dataclass(frozen=True)
class Chain:
    """The ids that tie a record to one purchase; ``intent_id`` is always there."""

    intent_id: str
    delegation_id: str | None = None
    out_trade_no: str | None = None
    trade_no: str | None = None

    def __post_init__(self) -> None:
        _text(self.intent_id, "chain.intent_id")
        for name in _CHAIN_FIELDS[1:]:
            value = getattr(self, name)
            if value is not None:
                _text(value, f"chain.{name}")

    def to_json(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in _CHAIN_FIELDS if getattr(self, name)}

    @classmethod
    def from_json(cls, obj: Any) -> Chain:
        if not isinstance(obj, dict) or "intent_id" not in obj or set(obj) - set(_CHAIN_FIELDS):
            raise InvalidRecord(f"chain needs intent_id and only the fields {_CHAIN_FIELDS}")
        return cls(**{name: obj[name] for name in _CHAIN_FIELDS if name in obj})


@dataclass(frozen=True)
class Participant:
    """A party to the event: its role (``merchant``, ``psp``, ``delegator``...), id and key id."""

    role: str
    id: str
    kid: str

    def __post_init__(self) -> None:
        _text(self.role, "participant.role")
        _text(self.id, "participant.id")
        _text(self.kid, "participant.kid")

    def to_json(self) -> dict[str, str]:
        return {"role": self.role, "id": self.id, "kid": self.kid}

    @classmethod
    def from_json(cls, obj: Any) -> Participant:
        if not isinstance(obj, dict) or set(obj) != {"role", "id", "kid"}:
            raise InvalidRecord("a participant is exactly {role, id, kid}")
        return cls(obj["role"], obj["id"], obj["kid"])


# Keys that name personal data, compared after lower-casing and dropping "_" and "-".
_FORBIDDEN_KEYS = frozenset(
    {
        "name",
        "fullname",
        "firstname",
        "lastname",
        "middlename",
        "surname",
        "givenname",
        "familyname",
        "realname",
        "nickname",
        "username",
        "recipient",
        "recipientname",
        "customername",
        "buyername",
        "payername",
        "cardholder",
        "cardholdername",
        "phone",
        "phonenumber",
        "mobile",
        "mobilenumber",
        "telephone",
        "tel",
        "fax",
        "email",
        "emailaddress",
        "mail",
        "contact",
        "contacts",
        "address",
        "streetaddress",
        "street",
        "postcode",
        "postalcode",
        "zip",
        "zipcode",
        "shippingaddress",
        "billingaddress",
        "homeaddress",
        "card",
        "cardnumber",
        "pan",
        "cvv",
        "cvc",
        "cardexpiry",
        "expiry",
        "account",
        "accountnumber",
        "accountno",
        "bankaccount",
        "iban",
        "bic",
        "swift",
        "routingnumber",
        "sortcode",
        "idnumber",
        "idcard",
        "nationalid",
        "passport",
        "passportnumber",
        "ssn",
        "taxid",
        "birthdate",
        "dateofbirth",
        "dob",
    }
)
# Substrings that betray personal data whatever the key is called ("buyer_phone", "user_email").
_FORBIDDEN_PARTS = (
    "phone",
    "email",
    "mobile",
    "address",
    "passport",
    "cardnumber",
    "accountnumber",
    "bankaccount",
    "iban",
    "idnumber",
    "nationalid",
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


def check_event_body(body: Any, path: str = "event_body") -> None:
    """Raise ``PersonalDataError`` if the body names personal data anywhere inside it."""
    if isinstance(body, Mapping):
        for key, value in body.items():
            if not isinstance(key, str):
                raise InvalidRecord(f"{path} keys must be strings")
            folded = key.lower().replace("_", "").replace("-", "")
            if folded in _FORBIDDEN_KEYS or any(part in folded for part in _FORBIDDEN_PARTS):
                raise PersonalDataError(f"{path}.{key} looks like personal data")
            check_event_body(value, f"{path}.{key}")
    elif isinstance(body, list | tuple):
        for i, item in enumerate(body):
            check_event_body(item, f"{path}[{i}]")
    elif isinstance(body, str) and _EMAIL.search(body):
        raise PersonalDataError(f"{path} holds an e-mail address")


def compute_payload_hash(
    event_body: Mapping[str, Any], participants: Sequence[Mapping[str, Any]], salt: bytes
) -> str:
    """b64url(SHA-256(JCS({"event_body", "participants"}) || salt))."""
    try:
        canonical = canonicalize(
            {"event_body": dict(event_body), "participants": list(participants)}
        )
    except ValidationError as e:
        raise InvalidRecord(f"event body cannot be canonicalized: {e}") from e
    return b64url(hashlib.sha256(canonical + salt).digest())


def build_record(
    *,
    event_type: EventType | str,
    chain: Chain,
    participants: Sequence[Participant],
    event_body: Mapping[str, Any],
    now: datetime,
    random_bytes: RandomBytes,
    event_time: datetime | None = None,
    record_id: str | None = None,
) -> dict[str, Any]:
    """The unsigned record payload; refuses personal data and unknown event types."""
    try:
        kind = EventType(event_type)
    except ValueError as e:
        raise InvalidRecord(f"unknown event type {event_type!r}") from e
    if not isinstance(chain, Chain):
        raise InvalidRecord("chain must be a Chain")
    if not participants or not all(isinstance(p, Participant) for p in participants):
        raise InvalidRecord("a record needs at least one Participant")
    if not isinstance(event_body, Mapping):
        raise InvalidRecord("event_body must be an object")
    check_event_body(event_body)
    salt = random_bytes(SALT_BYTES)
    if not isinstance(salt, bytes) or len(salt) < SALT_BYTES:
        raise InvalidRecord("the random source returned fewer than 16 bytes of salt")
    people = [p.to_json() for p in participants]
    return {
        "record_id": record_id or new_id("att", random_bytes),
        "version": RECORD_VERSION,
        "event_type": kind.value,
        "event_time": format_instant(event_time or now),
        "created_at": format_instant(now),
        "chain": chain.to_json(),
        "participants": people,
        "salt": b64url(salt),
        "hash_alg": HASH_ALG,
        "payload_hash": compute_payload_hash(event_body, people, salt),
        "event_body": dict(event_body),
    }


def sign_record(record: Mapping[str, Any], initiator_key: SigningKey) -> str:
    """Sign a record as its initiator; the key must belong to one of its participants."""
    kids = {p.get("kid") for p in record.get("participants", []) if isinstance(p, Mapping)}
    if initiator_key.kid not in kids:
        raise InvalidRecord("the initiator's key must be one of the record's participants")
    return sign_compact(record, initiator_key, typ=ATTESTATION_TYP)


@dataclass(frozen=True)
class VerifiedRecord:
    """A record whose signature, salt and payload hash have been checked."""

    token: str
    record_id: str
    event_type: EventType
    event_time: datetime
    created_at: datetime
    chain: Chain
    participants: tuple[Participant, ...]
    initiator: Participant
    event_body: dict[str, Any]
    payload: dict[str, Any]


def parse_record(payload: Mapping[str, Any], signer_kid: str, token: str) -> VerifiedRecord:
    """Check a record payload's shape, salt and hash; ``signer_kid`` names the initiator."""
    if set(payload) != _FIELDS:
        raise InvalidRecord(f"a record has exactly the fields {sorted(_FIELDS)}")
    if payload["version"] != RECORD_VERSION or payload["hash_alg"] != HASH_ALG:
        raise InvalidRecord("unsupported record version or hash algorithm")
    try:
        kind = EventType(payload["event_type"])
        event_time = parse_instant(payload["event_time"])
        created_at = parse_instant(payload["created_at"])
        salt = b64url_decode(payload["salt"])
    except ValueError as e:  # ValidationError is a ValueError
        raise InvalidRecord(f"malformed record: {e}") from e
    if len(salt) < SALT_BYTES or b64url(salt) != payload["salt"]:
        raise InvalidRecord("salt must be at least 16 bytes of canonical base64url")
    participants_json = payload["participants"]
    if not isinstance(participants_json, list) or not participants_json:
        raise InvalidRecord("participants must be a non-empty list")
    participants = tuple(Participant.from_json(p) for p in participants_json)
    body = payload["event_body"]
    if not isinstance(body, dict):
        raise InvalidRecord("event_body must be an object")
    expected = compute_payload_hash(body, participants_json, salt)
    if not hmac.compare_digest(expected.encode(), str(payload["payload_hash"]).encode()):
        raise InvalidRecord("payload_hash does not match the body, participants and salt")
    initiators = [p for p in participants if p.kid == signer_kid]
    if len(initiators) != 1:
        raise InvalidRecord("exactly one participant must hold the signing key")
    return VerifiedRecord(
        token=token,
        record_id=_text(payload["record_id"], "record_id"),
        event_type=kind,
        event_time=event_time,
        created_at=created_at,
        chain=Chain.from_json(payload["chain"]),
        participants=participants,
        initiator=initiators[0],
        event_body=body,
        payload=dict(payload),
    )


def verify_record(token: str, keys: Mapping[str, PublicKey] | KeyResolver) -> VerifiedRecord:
    """Verify signature (``InvalidSignature``), then shape, salt and hash (``InvalidRecord``)."""
    verified = verify_compact(token, keys, typ=ATTESTATION_TYP)
    return parse_record(verified.payload, str(peek_header(token)["kid"]), token)
