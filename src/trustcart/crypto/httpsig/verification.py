"""Verifying an agent request signed in trustcart's RFC 9421 profile.

The library's ``HTTPMessageVerifier`` rebuilds the signature base and checks the signature, with
``now`` passed in (``ClockedVerifier``); around it this module judges what the library leaves
open. Verification fails closed at every step and raises ``InvalidSignature`` or one of the
subclasses below (so the HTTP shell can choose a problem code; everyone else catches
``InvalidSignature``):

    InvalidSignature
    ├── SignatureMissing   no Signature / Signature-Input header
    ├── SignatureExpired   outside ``created``/``expires``: expired, created in the future
    │                      (beyond the clock skew), or a lifetime over ``max_lifetime``
    ├── UnknownKey         ``keyid`` does not resolve to a usable key
    ├── NonceReplayed      this (keyid, nonce) was already accepted
    └── DigestMismatch     (trustcart.crypto.digest) body and Content-Digest disagree

Checks: exactly one signature tagged ``web-bot-auth``; ``created``, ``expires``, ``keyid`` and
``nonce`` present; ``created`` not in the future, ``expires`` after ``created`` and at most
``max_lifetime`` later, not yet expired; key resolved and its thumbprint equal to ``keyid``;
signature valid over the rebuilt base; Content-Digest present and equal to the body's digest
whenever there is a body; every required component covered; the nonce not seen before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
)
from http_message_signatures.algorithms import HTTPSignatureAlgorithm
from http_message_signatures.exceptions import InvalidSignature as _LibraryInvalidSignature
from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList, Item

from trustcart.crypto.digest import DigestMismatch, verify_content_digest
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.httpsig.fields import FieldLines, HttpRequestView
from trustcart.crypto.httpsig.profile import (
    CLOCK_SKEW,
    MAX_LIFETIME,
    MAX_NONCE_LENGTH,
    MIN_NONCE_LENGTH,
    SIGNATURE_TAG,
    algorithm_for,
    required_components,
)
from trustcart.crypto.keys import PublicKey
from trustcart.crypto.nonces import NonceCache

KeyResolver = Callable[[str], PublicKey | None]

_LIBRARY_ERRORS = (HTTPMessageSignaturesException, ValueError, TypeError, KeyError, IndexError)


class SignatureMissing(InvalidSignature):
    """The request carries no RFC 9421 signature."""


class SignatureExpired(InvalidSignature):
    """The signature is not valid now: expired, created in the future, or too long-lived."""


class UnknownKey(InvalidSignature):
    """``keyid`` does not name a usable key (unknown, revoked, out of window, wrong role)."""


class NonceReplayed(InvalidSignature):
    """The signature's nonce was already used with this key."""


@dataclass(frozen=True)
class VerifiedSignature:
    """What a verified request proves: who signed it, when, under which nonce, over what."""

    keyid: str
    label: str
    created: datetime
    expires: datetime
    nonce: str
    tag: str
    algorithm: str
    covered_components: tuple[str, ...]
    signature_agent: str | None = None


class ClockedVerifier(HTTPMessageVerifier):
    """The library's verifier with ``now`` passed in instead of read from the wall clock."""

    def __init__(
        self,
        *,
        signature_algorithm: type[HTTPSignatureAlgorithm],
        key: Any,
        keyid: str,
        now: datetime,
        clock_skew: timedelta = CLOCK_SKEW,
    ) -> None:
        super().__init__(signature_algorithm=signature_algorithm, key_resolver=_OneKey(keyid, key))
        self.max_clock_skew = clock_skew
        self._now = now

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        created, expires = sig_input.params.get("created"), sig_input.params.get("expires")
        if type(created) is not int:
            raise _LibraryInvalidSignature('Signature is missing an integer "created" parameter')
        if _instant(created) > self._now + self.max_clock_skew:
            raise _LibraryInvalidSignature('Signature "created" parameter is in the future')
        if expires is not None and (
            type(expires) is not int or _instant(expires) < self._now - self.max_clock_skew
        ):
            raise _LibraryInvalidSignature('Signature "expires" parameter is in the past')


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, keyid: str, key: Any) -> None:
        self._keyid, self._key = keyid, key

    def resolve_public_key(self, key_id: str) -> Any:
        return self._key if key_id == self._keyid else None

    def resolve_private_key(self, key_id: str) -> Any:
        raise KeyError("signing goes through trustcart.crypto.keys.SigningKey")


def _instant(seconds: int) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise InvalidSignature("timestamp out of range") from e


def _crypto_public_key(key: PublicKey) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
    public = key.as_joserfc().public_key
    if not isinstance(public, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise InvalidSignature("unsupported key type")
    return public


def _select_signature(signature_input: str, tag: str) -> tuple[str, Any]:
    field = Dictionary()
    try:
        field.parse(signature_input.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as e:
        raise InvalidSignature("Signature-Input is not a Structured Fields Dictionary") from e
    tagged = [
        (label, member)
        for label, member in field.items()
        if isinstance(member, InnerList) and member.params.get("tag") == tag
    ]
    if len(tagged) != 1:
        raise InvalidSignature(f"expected exactly one signature tagged {tag!r}, got {len(tagged)}")
    return tagged[0]


def _check_freshness(
    created: datetime,
    expires: datetime,
    now: datetime,
    *,
    max_lifetime: timedelta,
    clock_skew: timedelta,
) -> None:
    # Each of these is a signature outside its validity (docs/errors.md: signature-expired),
    # not a forged one: a client that sees it should fix its clock or its lifetime.
    if created > now + clock_skew:
        raise SignatureExpired("signature created in the future")
    if expires <= created:
        raise SignatureExpired("signature expires before it was created")
    if expires - created > max_lifetime:
        raise SignatureExpired("signature lifetime is longer than allowed")
    if expires < now - clock_skew:
        raise SignatureExpired("signature expired")


def _covered(identifiers: Iterable[str]) -> dict[str, set[str]]:
    covered: dict[str, set[str]] = {}
    for identifier in identifiers:
        item = Item()
        item.parse(identifier.encode("ascii"))
        if isinstance(item.value, str) and item.value != "@signature-params":
            covered.setdefault(item.value, set()).add(",".join(sorted(item.params)))
    return covered


def _signature_agent_uri(value: str, label: str) -> str:
    field = Dictionary()
    try:
        field.parse(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as e:
        raise InvalidSignature("Signature-Agent is not a Structured Fields Dictionary") from e
    member = field.get(label)
    if not isinstance(member, Item) or not isinstance(member.value, str):
        raise InvalidSignature("Signature-Agent has no string member for the signature label")
    uri = str(member.value)
    if not uri.startswith(("https://", "http://")):
        raise InvalidSignature("Signature-Agent must name an http(s) URL")
    return uri


def verify_request(  # noqa: PLR0917 - the request, keys, time and cache, all explicit
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    resolve_key: KeyResolver,
    now: datetime,
    nonce_cache: NonceCache,
    *,
    max_lifetime: timedelta = MAX_LIFETIME,
    clock_skew: timedelta = CLOCK_SKEW,
) -> VerifiedSignature:
    """Verify an agent request signed in trustcart's profile; record its nonce; see module doc.

    ``url`` is the encoded absolute URL as the server received it (scheme, Host, raw path and
    query); ``body`` the raw bytes. ``resolve_key`` returns a usable key for a ``keyid`` or None.
    """
    lines = FieldLines(headers)
    fields = lines.combined()
    if not fields.get("signature") or not fields.get("signature-input"):
        raise SignatureMissing("no Signature / Signature-Input header")
    label, member = _select_signature(fields["signature-input"], SIGNATURE_TAG)
    params = member.params
    keyid, nonce = params.get("keyid"), params.get("nonce")
    created_at, expires_at = params.get("created"), params.get("expires")
    if not isinstance(keyid, str) or not keyid:
        raise InvalidSignature("keyid is missing")
    if not isinstance(nonce, str) or not MIN_NONCE_LENGTH <= len(nonce) <= MAX_NONCE_LENGTH:
        raise InvalidSignature("nonce is missing or of the wrong size")
    if type(created_at) is not int or type(expires_at) is not int:
        raise InvalidSignature("created and expires must both be present as integers")
    created, expires = _instant(created_at), _instant(expires_at)
    _check_freshness(created, expires, now, max_lifetime=max_lifetime, clock_skew=clock_skew)

    public = resolve_key(keyid)
    if public is None:
        raise UnknownKey("keyid does not resolve to a usable key")
    if public.kid != keyid:
        raise InvalidSignature("keyid is not the thumbprint of the resolved key")
    algorithm = algorithm_for(public)
    verifier = ClockedVerifier(
        signature_algorithm=algorithm,
        key=_crypto_public_key(public),
        keyid=keyid,
        now=now,
        clock_skew=clock_skew,
    )
    body = bytes(body)
    has_body = bool(body) or "content-digest" in fields
    if has_body and not fields.get("content-digest"):
        raise DigestMismatch("a request with a body needs Content-Digest")
    message = HttpRequestView(method=method.upper(), url=url, headers=lines)
    try:
        results = verifier.verify(
            message, max_age=None, expect_tag=SIGNATURE_TAG, expect_label=label
        )
    except _LIBRARY_ERRORS as e:
        raise InvalidSignature(f"signature does not verify: {e}") from e
    if len(results) != 1:
        raise InvalidSignature("expected exactly one verified signature")
    result = results[0]

    if has_body:
        verify_content_digest(fields.get("content-digest"), body)
    covered_ids = tuple(result.covered_components)
    covered = _covered(covered_ids)
    for name, allowed in required_components(url, fields, has_body=has_body):
        if not covered.get(name, set()) & allowed:
            raise InvalidSignature(f"signature does not cover {name}")
    bound_agent = f'"signature-agent";key="{label}"'
    if "key" in covered.get("signature-agent", set()) and bound_agent not in covered_ids:
        raise InvalidSignature("signature-agent is covered under another label")
    agent = (
        _signature_agent_uri(fields["signature-agent"], label)
        if "signature-agent" in fields
        else None
    )
    if nonce_cache.seen_or_add(keyid, nonce, expires + clock_skew, now):
        raise NonceReplayed("nonce already used with this key")
    return VerifiedSignature(
        keyid=keyid,
        label=label,
        created=created,
        expires=expires,
        nonce=nonce,
        tag=SIGNATURE_TAG,
        algorithm=algorithm.algorithm_id,
        covered_components=tuple(k for k in covered_ids if k != '"@signature-params"'),
        signature_agent=agent,
    )
