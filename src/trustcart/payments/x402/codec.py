"""The x402 v2 headers, scheme ``exact`` on EVM, as frozen values (pure, strict).

Header values are standard Base64 (with padding, as the x402 SDKs write them) of UTF-8 JSON:

    PAYMENT-REQUIRED    {"x402Version": 2, "error"?, "resource": {"url", ...}, "accepts": [...]}
    PAYMENT-SIGNATURE   {"x402Version": 2, "resource"?, "accepted": <requirements>,
                         "payload": {"signature": "0x..", "authorization": {"from", "to",
                         "value", "validAfter", "validBefore", "nonce"}}}
    PAYMENT-RESPONSE    {"success", "transaction", "network", "payer", "errorReason"?}

Decoding refuses (``X402Error(HEADER_INVALID)``) anything larger than 16 KiB, not Base64, not
JSON, not an object, with a field of the wrong type, an address that is not 20 bytes of hex, a
nonce that is not 32, or an amount that is not a decimal integer; another ``x402Version`` is
``VERSION_UNSUPPORTED``, another scheme ``SCHEME_UNSUPPORTED``. Addresses are compared in lower
case (EIP-55 checksums are a display form).

>>> req = ExactRequirements("eip155:84532", "0x" + "a" * 40, 10_000, "0x" + "b" * 40, 300,
...                         {"name": "USDC", "version": "2"})
>>> decode_payment_required(encode_payment_required([req], url="http://x/r")) == ([req], "http://x/r")
True
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from trustcart.core.json_limits import loads_bounded
from trustcart.payments.x402.errors import X402Error, X402Reason

PAYMENT_REQUIRED = "PAYMENT-REQUIRED"
PAYMENT_SIGNATURE = "PAYMENT-SIGNATURE"
PAYMENT_RESPONSE = "PAYMENT-RESPONSE"
X402_VERSION = 2
SCHEME_EXACT = "exact"
MAX_HEADER = 16_384
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_NONCE = re.compile(r"0x[0-9a-fA-F]{64}")
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{2,2048}")
_NETWORK = re.compile(r"eip155:([1-9][0-9]{0,18})")
_UINT = re.compile(r"0|[1-9][0-9]{0,77}")
_H = X402Reason.HEADER_INVALID


def _bad(detail: str) -> X402Error:
    return X402Error(_H, detail)


def _address(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise _bad(f"{name} must be a 20-byte hex address")
    return value.lower()


def _uint(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _bad(f"{name} must be a decimal integer")
    if isinstance(value, int) and value >= 0:
        return value
    if not isinstance(value, str) or not _UINT.fullmatch(value):
        raise _bad(f"{name} must be a decimal integer")
    return int(value)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise _bad(f"{name} must be a non-empty string")
    return value


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{name} must be an object")
    return value


@dataclass(frozen=True)
class ExactRequirements:
    """One ``accepts`` entry of scheme ``exact``: pay ``amount`` atomic units of ``asset``."""

    network: str
    asset: str
    amount: int
    pay_to: str
    max_timeout_seconds: int
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.network, str) or not _NETWORK.fullmatch(self.network):
            raise _bad("network must be eip155:<chain id>")
        object.__setattr__(self, "asset", _address(self.asset, "asset"))
        object.__setattr__(self, "pay_to", _address(self.pay_to, "payTo"))
        if _uint(self.amount, "amount") <= 0:
            raise _bad("amount must be positive")
        if _uint(self.max_timeout_seconds, "maxTimeoutSeconds") <= 0:
            raise _bad("maxTimeoutSeconds must be positive")
        extra = _object(dict(self.extra), "extra")
        for name in ("name", "version"):
            _text(extra.get(name), f"extra.{name}")
        object.__setattr__(self, "extra", MappingProxyType(extra))

    @property
    def chain_id(self) -> int:
        match = _NETWORK.fullmatch(self.network)
        assert match is not None
        return int(match.group(1))

    def to_json(self) -> dict[str, Any]:
        return {
            "scheme": SCHEME_EXACT,
            "network": self.network,
            "asset": self.asset,
            "amount": str(self.amount),
            "payTo": self.pay_to,
            "maxTimeoutSeconds": self.max_timeout_seconds,
            "extra": dict(self.extra),
        }


@dataclass(frozen=True)
class ExactAuthorization:
    """An EIP-3009 ``TransferWithAuthorization`` as the payer signed it."""

    payer: str
    to: str
    value: int
    valid_after: int
    valid_before: int
    nonce: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "payer", _address(self.payer, "from"))
        object.__setattr__(self, "to", _address(self.to, "to"))
        for name in ("value", "valid_after", "valid_before"):
            object.__setattr__(self, name, _uint(getattr(self, name), name))
        if not isinstance(self.nonce, str) or not _NONCE.fullmatch(self.nonce):
            raise _bad("nonce must be 32 bytes of hex")
        object.__setattr__(self, "nonce", self.nonce.lower())


@dataclass(frozen=True)
class ExactPayment:
    """A decoded ``PAYMENT-SIGNATURE``: the requirements accepted and the signed transfer."""

    accepted: ExactRequirements
    authorization: ExactAuthorization
    signature: str
    resource_url: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.signature, str) or not _SIGNATURE.fullmatch(self.signature):
            raise _bad("signature must be hex")


def _encode(document: Mapping[str, Any]) -> str:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _decode(value: str) -> dict[str, Any]:
    if not isinstance(value, str) or not value or len(value) > MAX_HEADER:
        raise _bad("the header is empty or too large")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
        document = loads_bounded(raw.decode("utf-8"))
    except (binascii.Error, UnicodeError, ValueError) as e:
        raise _bad("the header is not Base64 JSON") from e
    document = _object(document, "the header")
    if document.get("x402Version") != X402_VERSION:
        raise X402Error(X402Reason.VERSION_UNSUPPORTED, "only x402Version 2 is spoken")
    return document


def requirements_from_json(raw: Any) -> ExactRequirements:
    """Parse one requirements object (``accepts`` entry or ``accepted``)."""
    raw = _object(raw, "requirements")
    if raw.get("scheme") != SCHEME_EXACT:
        raise X402Error(X402Reason.SCHEME_UNSUPPORTED, "only scheme exact is accepted")
    try:
        return ExactRequirements(
            network=raw.get("network"),
            asset=raw.get("asset"),
            amount=_uint(raw.get("amount"), "amount"),
            pay_to=raw.get("payTo"),
            max_timeout_seconds=_uint(raw.get("maxTimeoutSeconds"), "maxTimeoutSeconds"),
            extra=_object(raw.get("extra", {}), "extra"),
        )
    except TypeError as e:
        raise _bad("requirements are malformed") from e


def encode_payment_required(
    accepts: Sequence[ExactRequirements],
    *,
    url: str,
    description: str | None = None,
    error: str | None = None,
) -> str:
    """The ``PAYMENT-REQUIRED`` value offering ``accepts`` for the resource at ``url``."""
    resource: dict[str, Any] = {"url": url, "mimeType": "application/json"}
    if description:
        resource["description"] = description
    document: dict[str, Any] = {
        "x402Version": X402_VERSION,
        "resource": resource,
        "accepts": [requirement.to_json() for requirement in accepts],
    }
    if error:
        document["error"] = error
    return _encode(document)


def decode_payment_required(value: str) -> tuple[list[ExactRequirements], str]:
    """The ``exact`` requirements offered and the resource URL."""
    document = _decode(value)
    accepts = document.get("accepts")
    if not isinstance(accepts, list) or not accepts:
        raise _bad("accepts must be a non-empty list")
    url = _text(_object(document.get("resource"), "resource").get("url"), "resource.url")
    return [requirements_from_json(item) for item in accepts], url


def decode_payment_signature(value: str) -> ExactPayment:
    """A ``PAYMENT-SIGNATURE`` value, or ``X402Error``."""
    document = _decode(value)
    accepted = requirements_from_json(document.get("accepted"))
    payload = _object(document.get("payload"), "payload")
    raw = _object(payload.get("authorization"), "payload.authorization")
    resource = document.get("resource")
    url = None if resource is None else _text(_object(resource, "resource").get("url"), "url")
    authorization = ExactAuthorization(
        payer=raw.get("from"),  # type: ignore[arg-type]
        to=raw.get("to"),  # type: ignore[arg-type]
        value=_uint(raw.get("value"), "value"),
        valid_after=_uint(raw.get("validAfter"), "validAfter"),
        valid_before=_uint(raw.get("validBefore"), "validBefore"),
        nonce=raw.get("nonce"),  # type: ignore[arg-type]
    )
    return ExactPayment(accepted, authorization, _text(payload.get("signature"), "signature"), url)


def encode_payment_response(
    *, success: bool, transaction: str, network: str, payer: str, error_reason: str | None = None
) -> str:
    """The ``PAYMENT-RESPONSE`` value (a settlement result)."""
    document: dict[str, Any] = {
        "success": success,
        "transaction": transaction,
        "network": network,
        "payer": payer,
    }
    if error_reason is not None:
        document["errorReason"] = error_reason
    return base64.b64encode(json.dumps(document, separators=(",", ":")).encode("utf-8")).decode(
        "ascii"
    )
