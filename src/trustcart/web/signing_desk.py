"""The signing desk: where the server hands the browser the exact bytes to sign, and waits.

The person's key lives in their browser (a non-extractable WebCrypto Ed25519 key); the server
never holds it. When the wallet needs a signature (an IAC, its log record, the payment
binding, an L1 approval, a revocation) it puts one ``SigningRequest`` on this shopper's desk
and waits; the page shows the request (the JWS protected header and the JCS payload, as text)
and the browser signs ``BASE64URL(header) "." BASE64URL(payload)`` of the text it shows.

Rules kept, each failing closed (``tests/web/test_signing_desk.py`` tries to get past each):

* the answer must name the pending request; the signing input the browser says it signed must
  be byte for byte the one presented, else the whole signing is refused
  (``web.signed-bytes-differ``): a payload changed in the page (a higher total) is never
  signed for the server, it ends the approval;
* the signature must verify with the public key this shopper registered
  (``web.signature-invalid``); the assembled JWS is then verified again with its ``typ``;
* one request at a time per shopper; a request not answered within ``timeout`` seconds, or
  declined, ends the signing (``web.signing-timeout``, ``web.signing-declined``).

A refusal is given to both sides: the waiting wallet raises ``WalletError`` (so the shopping
tools refuse as they do for any wallet failure), and the browser's answer raises
``SigningRefused`` with the code.

>>> from trustcart.crypto.keys import SigningKey
>>> key = SigningKey.generate()
>>> request = SigningRequest.make("sig_1", SignatureKind.IAC, key.public, "act-iac+jwt", {"a": 1})
>>> request.payload_text, request.signing_input.count(".")
('{"a":1}', 1)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from trustcart.assistant.errors import WalletError
from trustcart.core.errors import TrustcartError
from trustcart.core.ids import new_id
from trustcart.crypto.errors import CryptoError
from trustcart.crypto.jcs import b64url, b64url_decode, canonicalize
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import PublicKey

SIGNING_TIMEOUT = 120.0
ED25519_SIGNATURE_BYTES = 64


class SigningCode(StrEnum):
    SIGNED_BYTES_DIFFER = "web.signed-bytes-differ"
    SIGNATURE_INVALID = "web.signature-invalid"
    NO_PENDING_SIGNATURE = "web.no-pending-signature"
    SIGNING_TIMEOUT = "web.signing-timeout"
    SIGNING_DECLINED = "web.signing-declined"
    SIGNING_BUSY = "web.signing-busy"
    KEY_NOT_REGISTERED = "web.key-not-registered"
    KEY_MISMATCH = "web.key-mismatch"
    BAD_KEY = "web.bad-key"
    NOTHING_TO_APPROVE = "web.nothing-to-approve"


class SigningRefused(TrustcartError):
    """The browser's signature (or key) was refused; ``code`` is a ``SigningCode``."""

    def __init__(self, code: SigningCode, reason: str) -> None:
        super().__init__(f"{code.value}: {reason}")
        self.code = code
        self.reason = reason


class SignatureKind(StrEnum):
    IAC = "iac"
    REGISTRATION = "registration"  # proof of possession that registers the IAC
    RECORD = "record"
    BINDING = "binding"
    APPROVAL = "approval"
    TRANSITION = "transition"


@dataclass(frozen=True)
class SigningRequest:
    """One JWS to be signed: its protected header and payload, as the JCS text shown."""

    request_id: str
    kind: SignatureKind
    typ: str
    header_text: str
    payload_text: str

    def __post_init__(self) -> None:
        if not self.request_id or not self.header_text or not self.payload_text:
            raise ValueError("a signing request needs an id, a header and a payload")

    @classmethod
    def make(
        cls,
        request_id: str,
        kind: SignatureKind,
        key: PublicKey,
        typ: str,
        payload: Mapping[str, Any],
    ) -> SigningRequest:
        header = {"alg": key.alg, "kid": key.kid, "typ": typ}
        return cls(
            request_id,
            kind,
            typ,
            canonicalize(header).decode(),
            canonicalize(dict(payload)).decode(),
        )

    @property
    def signing_input(self) -> str:
        """``BASE64URL(header) "." BASE64URL(payload)``: the bytes the browser signs."""
        return f"{b64url(self.header_text.encode())}.{b64url(self.payload_text.encode())}"

    def to_json(self) -> dict[str, str]:
        return {
            "request_id": self.request_id,
            "kind": self.kind.value,
            "typ": self.typ,
            "header": self.header_text,
            "payload": self.payload_text,
            "signing_input": self.signing_input,
        }


def assemble(request: SigningRequest, key: PublicKey, signing_input: str, signature: str) -> str:
    """The compact JWS of ``request``, if the browser signed exactly its bytes with ``key``."""
    if signing_input != request.signing_input:
        raise SigningRefused(
            SigningCode.SIGNED_BYTES_DIFFER, "the bytes signed are not the bytes presented"
        )
    try:
        raw = b64url_decode(signature)
    except (ValueError, TypeError) as e:
        raise SigningRefused(SigningCode.SIGNATURE_INVALID, "the signature is not base64url") from e
    if len(raw) != ED25519_SIGNATURE_BYTES:
        raise SigningRefused(SigningCode.SIGNATURE_INVALID, "not an Ed25519 signature")
    token = f"{request.signing_input}.{b64url(raw)}"
    try:
        verify_compact(token, {key.kid: key}, typ=request.typ)
    except CryptoError as e:
        raise SigningRefused(
            SigningCode.SIGNATURE_INVALID, "the signature does not verify with the registered key"
        ) from e
    return token


class SigningDesk:
    """One shopper's desk: the wallet waits in ``sign``, the browser answers in ``answer``."""

    def __init__(self, key: PublicKey, timeout: float = SIGNING_TIMEOUT) -> None:
        self.key = key
        self.timeout = timeout
        self._condition = threading.Condition()
        self._pending: SigningRequest | None = None
        self._token: str | None = None
        self._failure: SigningRefused | None = None

    def sign(self, kind: SignatureKind, typ: str, payload: Mapping[str, Any]) -> str:
        """Present ``payload`` to the browser and wait for its JWS (``WalletError`` if not)."""
        request = SigningRequest.make(new_id("sig"), kind, self.key, typ, payload)
        with self._condition:
            if self._pending is not None:
                raise WalletError(f"{SigningCode.SIGNING_BUSY.value}: another signature is pending")
            self._pending, self._token, self._failure = request, None, None
            self._condition.notify_all()
            answered = self._condition.wait_for(
                lambda: self._token is not None or self._failure is not None, self.timeout
            )
            token, failure = self._token, self._failure
            self._pending, self._token, self._failure = None, None, None
        if not answered:
            raise WalletError(f"{SigningCode.SIGNING_TIMEOUT.value}: the browser did not sign")
        if failure is not None:
            raise WalletError(str(failure))
        assert token is not None
        return token

    def pending(self) -> SigningRequest | None:
        with self._condition:
            return self._pending

    def answer(self, request_id: str, signing_input: str, signature: str) -> None:
        """The browser's signature of the pending request; a refusal also ends the signing."""
        with self._condition:
            request = self._pending
            if (
                request is None
                or request.request_id != request_id
                or self._token is not None
                or self._failure is not None
            ):
                raise SigningRefused(
                    SigningCode.NO_PENDING_SIGNATURE, "no such signature is awaited"
                )
            try:
                self._token = assemble(request, self.key, signing_input, signature)
            except SigningRefused as refusal:
                self._failure = refusal
                raise
            finally:
                self._condition.notify_all()

    def decline(self, request_id: str) -> None:
        """The person refused to sign: the wallet's wait ends with a refusal."""
        with self._condition:
            request = self._pending
            if request is None or request.request_id != request_id or self._token is not None:
                raise SigningRefused(
                    SigningCode.NO_PENDING_SIGNATURE, "no such signature is awaited"
                )
            self._failure = SigningRefused(SigningCode.SIGNING_DECLINED, "the person declined")
            self._condition.notify_all()
