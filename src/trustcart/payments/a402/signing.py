"""The seller's signature on Payment-Needed (the ``signer_id`` and ``signature_*`` fields).

A402 names the fields and leaves the signing input to the method. trustcart signs the JCS bytes
of the decoded payload without ``signature_content``::

    JCS({"protocol": <protocol minus signature_content>, "method": <method>})

so every protocol field, ``signer_id`` and ``signature_type`` included, and every method field
is covered. ``signer_id`` is the RFC 7638 thumbprint of the seller's key; ``signature_type`` is
``ED25519`` or ``ES256``, and must match the key's own type (no algorithm confusion).

The buyer verifies over the payload exactly as received (``verify_payment_needed``), not over a
re-encoding, so a peer's non-canonical but valid amount or instant spelling still verifies.
Verification is opaque: one ``InvalidSignature`` whatever went wrong.

>>> from trustcart.crypto.keys import SigningKey
>>> from trustcart.payments.a402.codec import encode_payment_needed
>>> seller = SigningKey.generate()
>>> header = encode_payment_needed(sign_requirement(EXAMPLE_REQUIREMENT, seller))
>>> verify_payment_needed(header, {seller.kid: seller.public}).resource_id
'resource-weather-001'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from trustcart.core.money import Money
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import b64url, canonicalize
from trustcart.crypto.jws import KeyResolver
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.payments.a402.codec import requirement_from_payload, requirement_payload
from trustcart.payments.a402.credential import TRUSTCART_METHOD
from trustcart.payments.a402.errors import HeaderRefused
from trustcart.payments.a402.model import MessageSignature, PaymentRequirement, RequestBinding
from trustcart.payments.a402.wire import decode_json_header, strict_b64url_decode

SIGNATURE_TYPES = {"EdDSA": "ED25519", "ES256": "ES256"}


def signing_input(payload: Mapping[str, Any]) -> bytes:
    """The bytes the seller signs: JCS of the payload without ``signature_content``."""
    protocol = {k: v for k, v in payload["protocol"].items() if k != "signature_content"}
    return canonicalize({"protocol": protocol, "method": payload["method"]})


def sign_requirement(requirement: PaymentRequirement, key: SigningKey) -> PaymentRequirement:
    """The requirement with the seller's signature (any earlier signature is replaced)."""
    signature_type = SIGNATURE_TYPES[key.alg]
    pending = replace(requirement, signature=MessageSignature(key.kid, signature_type, "AA"))
    data = signing_input(requirement_payload(pending, with_signature_content=False))
    signed = MessageSignature(key.kid, signature_type, b64url(key.sign(data)))
    return replace(requirement, signature=signed)


def verify_payment_needed(
    value: str, keys: Mapping[str, PublicKey] | KeyResolver
) -> PaymentRequirement:
    """Decode a Payment-Needed value and check the seller's signature.

    Raises ``HeaderRefused`` for a malformed header, ``InvalidSignature`` for an unknown signer,
    a ``signature_type`` that is not the key's, or a signature that does not verify.
    """
    payload = decode_json_header(value)
    requirement = requirement_from_payload(payload)
    signature = requirement.signature
    if signature is None:  # pragma: no cover - the A402 decoder requires the signature fields
        raise InvalidSignature
    key = keys.get(signature.signer_id) if isinstance(keys, Mapping) else keys(signature.signer_id)
    if key is None or SIGNATURE_TYPES[key.alg] != signature.signature_type:
        raise InvalidSignature
    try:
        raw = strict_b64url_decode(signature.value)
    except HeaderRefused as e:
        raise InvalidSignature from e
    key.verify(raw, signing_input(payload))
    return requirement


EXAMPLE_REQUIREMENT = PaymentRequirement(
    payment_method=TRUSTCART_METHOD,
    out_trade_no="ORDER-20260803-001",
    amount=Money(1, "CNY"),
    resource_id="resource-weather-001",
    pay_before=datetime(2026, 8, 3, 12, 30, tzinfo=UTC),
    seller_id="seller-example-001",
    request=RequestBinding("GET", "sha-256:" + "A" * 43),
    replay_window_seconds=3600,
    extensions={"psp_id": "trustcart-psp"},
)
