"""RFC 9421 HTTP message signatures for agent requests, in the Web Bot Auth shape.

The signature base, component resolution and algorithms come from the ``http-message-signatures``
library (prepare / apply to sign, ``HTTPMessageVerifier`` to verify); this module is the
*profile*: what must be covered, which parameters are required, and how time, keys and replays
are judged. Time, keys and nonces are passed in, so signing is deterministic for Ed25519.

Profile (UCP 2026 "REST Request Signing" with its WBA interop rules, and Web Bot Auth):

* label ``sig1``; parameters ``created``, ``expires``, ``keyid`` (the key's RFC 7638 JWK
  thumbprint), ``nonce`` (64 random bytes, base64url) and ``tag="web-bot-auth"``. ``alg`` is not
  sent (UCP derives the algorithm from the key); when a peer sends it, it must name the key's
  algorithm: ``ed25519`` for Ed25519 (default) or ``ecdsa-p256-sha256`` for P-256 (ES256);
* covered, in this order: ``"@method" "@authority" "@path"``, ``"@query"`` when the URL has a
  query, ``"signature-agent";key="sig1"`` when ``Signature-Agent`` is sent,
  ``"ucp-agent"`` and ``"idempotency-key"`` when those headers are sent, and
  ``"content-digest" "content-type"`` when there is a body;
* ``Content-Digest`` (RFC 9530, sha-256) over the raw body bytes.

Verification fails closed at every step and raises ``InvalidSignature`` or one of the subclasses
below (so the HTTP shell can choose a problem code; everyone else catches ``InvalidSignature``):

    InvalidSignature
    ├── SignatureMissing   no Signature / Signature-Input header
    ├── SignatureExpired   ``expires`` is in the past (beyond the clock skew)
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

import base64
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
)
from http_message_signatures.algorithms import ECDSA_P256_SHA256, ED25519, HTTPSignatureAlgorithm
from http_message_signatures.exceptions import InvalidSignature as _LibraryInvalidSignature
from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList, Item
from http_sfv.types import Token

from trustcart.core.errors import ValidationError
from trustcart.crypto.digest import DigestMismatch, make_content_digest, verify_content_digest
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.crypto.nonces import NonceCache

SIGNATURE_TAG = "web-bot-auth"
DEFAULT_LABEL = "sig1"
DEFAULT_LIFETIME = timedelta(seconds=60)
MAX_LIFETIME = timedelta(seconds=300)
CLOCK_SKEW = timedelta(seconds=10)
NONCE_BYTES = 64
MIN_NONCE_LENGTH = 16
MAX_NONCE_LENGTH = 512

KeyResolver = Callable[[str], PublicKey | None]

_ALGORITHMS: dict[str, type[HTTPSignatureAlgorithm]] = {
    "EdDSA": ED25519,
    "ES256": ECDSA_P256_SHA256,
}
_LIBRARY_ERRORS = (HTTPMessageSignaturesException, ValueError, TypeError, KeyError, IndexError)


class SignatureMissing(InvalidSignature):
    """The request carries no RFC 9421 signature."""


class SignatureExpired(InvalidSignature):
    """The signature's ``expires`` instant has passed."""


class UnknownKey(InvalidSignature):
    """``keyid`` does not name a usable key (unknown, revoked, out of window, wrong role)."""


class NonceReplayed(InvalidSignature):
    """The signature's nonce was already used with this key."""


@dataclass(frozen=True)
class VerifiedSignature:
    keyid: str
    label: str
    created: datetime
    expires: datetime
    nonce: str
    tag: str
    algorithm: str
    covered_components: tuple[str, ...]
    signature_agent: str | None = None


class FieldLines:
    """Header field lines in wire order, in the shape the library reads and writes."""

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        self._lines: list[tuple[str, str]] = [(str(name), str(value)) for name, value in pairs]

    def items(self) -> list[tuple[str, str]]:
        return list(self._lines)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._lines))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._lines)

    def __setitem__(self, name: str, value: str) -> None:
        del self[name]
        self._lines.append((name, value))

    def __delitem__(self, name: str) -> None:
        self._lines = [(n, v) for n, v in self._lines if n.lower() != name.lower()]

    def combined(self) -> dict[str, str]:
        """Lower-cased name to the field value, repeated lines joined with ", " (RFC 9110)."""
        fields: dict[str, list[str]] = {}
        for name, value in self._lines:
            fields.setdefault(name.lower(), []).append(value.strip(" \t"))
        return {name: ", ".join(values) for name, values in fields.items()}


@dataclass
class HttpRequestView:
    """The request as the library's component resolver reads it."""

    method: str
    url: str
    headers: FieldLines


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


def _epoch(instant: datetime) -> int:
    if instant.tzinfo is None:
        raise ValidationError("naive datetimes are not allowed")
    return int(instant.timestamp())


def new_nonce(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh nonce: 64 random bytes, base64url without padding (UCP WBA interop item 6)."""
    return base64.urlsafe_b64encode(random_bytes(NONCE_BYTES)).decode("ascii").rstrip("=")


def algorithm_for(key: PublicKey) -> type[HTTPSignatureAlgorithm]:
    """The RFC 9421 algorithm a trustcart key signs with (``ed25519`` or ``ecdsa-p256-sha256``)."""
    return _ALGORITHMS[key.alg]


def _crypto_public_key(key: PublicKey) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
    public = key.as_joserfc().public_key
    if not isinstance(public, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise InvalidSignature("unsupported key type")
    return public


def _has_query(url: str) -> bool:
    return "?" in url.split("#", 1)[0]


def _component(name: str, **params: str) -> str:
    item = Item(name)
    item.params.update(params)
    return str(item)


def signature_agent_header(
    uri: str, *, label: str = DEFAULT_LABEL, type_: str | None = None
) -> str:
    """``Signature-Agent: sig1="https://agent.example/..."`` (a Structured Fields Dictionary)."""
    field = Dictionary()
    field[label] = Item(uri)
    if type_ is not None:
        field[label].params["type"] = Token(type_)
    return str(field)


def covered_components(
    url: str, headers: FieldLines, *, has_body: bool, label: str = DEFAULT_LABEL
) -> list[str]:
    """The components trustcart signs for this request, in profile order (see module doc)."""
    components = [_component("@method"), _component("@authority"), _component("@path")]
    if _has_query(url):
        components.append(_component("@query"))
    if "signature-agent" in headers:
        components.append(_component("signature-agent", key=label))
    for name in ("ucp-agent", "idempotency-key"):
        if name in headers:
            components.append(_component(name))
    if has_body:
        components += [_component("content-digest"), _component("content-type")]
    return components


def sign_request(  # noqa: PLR0917 - the request, key, time and nonce, as the peers name them
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    key: SigningKey,
    now: datetime,
    nonce: str,
    *,
    lifetime: timedelta = DEFAULT_LIFETIME,
    signature_agent: str | None = None,
    signature_agent_type: str | None = None,
    label: str = DEFAULT_LABEL,
    include_alg: bool = False,
) -> dict[str, str]:
    """Sign a request; return the headers to add (Content-Digest, Signature-Agent, Signature*).

    ``url`` is the encoded absolute URL the request goes to; ``headers`` are the headers it will
    carry (``Content-Type`` is required when there is a body).

    >>> from datetime import UTC, datetime
    >>> key = SigningKey.generate()
    >>> now = datetime(2026, 11, 29, 8, tzinfo=UTC)
    >>> headers = {"Content-Type": "application/json"}
    >>> added = sign_request("POST", "https://m.example/c", headers, b"{}", key, now, new_nonce())
    >>> sorted(added)
    ['Content-Digest', 'Signature', 'Signature-Input']
    """
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise ValidationError(f"signature lifetime must be within (0, {MAX_LIFETIME}]")
    body = bytes(body)
    lines = FieldLines(headers)
    added: dict[str, str] = {}
    if body:
        if "content-type" not in lines:
            raise ValidationError("a request with a body needs a Content-Type header")
        added["Content-Digest"] = make_content_digest(body)
    if signature_agent is not None:
        added["Signature-Agent"] = signature_agent_header(
            signature_agent, label=label, type_=signature_agent_type
        )
    for name, value in added.items():
        lines[name] = value
    message = HttpRequestView(method=method.upper(), url=url, headers=lines)
    signer = HTTPMessageSigner(signature_algorithm=algorithm_for(key.public))
    try:
        prepared = signer.prepare(
            message,
            key_id=key.kid,
            created=now,
            expires=now + lifetime,
            nonce=nonce,
            label=label,
            tag=SIGNATURE_TAG,
            include_alg=include_alg,
            covered_component_ids=covered_components(url, lines, has_body=bool(body), label=label),
            use_existing_digest="content-digest" in lines,
        )
        signer.apply(message, prepared, key.sign(prepared.signature_base))
    except HTTPMessageSignaturesException as e:
        raise ValidationError(f"request cannot be signed: {e}") from e
    combined = lines.combined()
    added["Signature-Input"] = combined["signature-input"]
    added["Signature"] = combined["signature"]
    return added


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
    if created > now + clock_skew:
        raise InvalidSignature("signature created in the future")
    if expires <= created:
        raise InvalidSignature("signature expires before it was created")
    if expires - created > max_lifetime:
        raise InvalidSignature("signature lifetime is longer than allowed")
    if expires < now - clock_skew:
        raise SignatureExpired("signature expired")


def _required_components(
    url: str, fields: Mapping[str, str], *, has_body: bool
) -> list[tuple[str, frozenset[str]]]:
    """Names that must be covered, with the parameter sets each may carry."""
    plain = frozenset({""})
    required = [("@method", plain), ("@authority", plain), ("@path", plain)]
    if _has_query(url):
        required.append(("@query", plain))
    if has_body:
        required += [("content-digest", plain), ("content-type", plain)]
    for name in ("ucp-agent", "idempotency-key"):
        if name in fields:
            required.append((name, plain))
    if "signature-agent" in fields:
        required.append(("signature-agent", frozenset({"", "key"})))
    return required


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
    for name, allowed in _required_components(url, fields, has_body=has_body):
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
