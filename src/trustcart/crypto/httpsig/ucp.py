"""RFC 9421 signatures in UCP 2026-04-08's REST profile (``signatures.md``): requests and responses.

UCP's profile differs from trustcart's Web Bot Auth profile (``verification``) in what it asks of
the signature parameters: ``keyid`` is any string naming a ``kid`` of the signer's profile
``signing_keys`` (not a thumbprint), ``created`` is optional, there is no ``tag`` and no required
``nonce``, and the algorithm comes from the key (``crv``), never from the message. So this is its
own small module over the same library and the same ``Content-Digest`` code.

Request, covered (``required_request_components``): ``"@method" "@authority" "@path"``,
``"@query"`` when the URL has one, ``"ucp-agent"`` when that header is sent,
``"idempotency-key"`` on POST, PUT, DELETE and PATCH, and ``"content-digest" "content-type"``
when there is a body. Response: ``"@status"``, and ``"content-digest" "content-type"`` with a
body. ``Content-Digest`` (RFC 9530) is over the raw body bytes and must match.

Verification fails closed and raises ``InvalidSignature`` or one of the subclasses that the
HTTP shell maps to UCP's codes: ``SignatureMissing`` (``signature_missing``), ``UnknownKey``
(``key_not_found``), ``DigestMismatch`` (``digest_mismatch``), ``AlgorithmUnsupported``
(``algorithm_unsupported``), and two checks trustcart adds to UCP's idempotency-based replay
protection: a ``created`` older than ``max_age`` (or in the future) is ``SignatureExpired``, and a
``nonce`` already accepted for the key is ``NonceReplayed``.

ECDSA values are raw ``r||s`` (64 bytes for P-256), as UCP and RFC 9421 say.

>>> from datetime import UTC, datetime
>>> key = SigningKey.generate("ES256")
>>> now = datetime(2026, 12, 2, 8, tzinfo=UTC)
>>> added = sign_response(201, {"Content-Type": "application/json"}, b"{}", key, "biz-1", now)
>>> added["Signature-Input"].startswith('sig1=("@status" "content-digest" "content-type")')
True
>>> verify_response(201, {"Content-Type": "application/json", **added}, b"{}",
...                 {"biz-1": key.public}.get, now).keyid
'biz-1'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
)
from http_message_signatures.exceptions import InvalidSignature as _LibraryInvalidSignature
from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList, Item

from trustcart.core.errors import ValidationError
from trustcart.crypto.digest import make_content_digest, verify_content_digest
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.httpsig.fields import FieldLines, HttpRequestView
from trustcart.crypto.httpsig.profile import CLOCK_SKEW, algorithm_for, has_query
from trustcart.crypto.httpsig.verification import (
    NonceReplayed,
    SignatureExpired,
    SignatureMissing,
    UnknownKey,
    _crypto_public_key,
    _OneKey,
)
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.crypto.nonces import NonceCache

LABEL = "sig1"
MAX_AGE = timedelta(minutes=5)
STATE_CHANGING = frozenset({"POST", "PUT", "DELETE", "PATCH"})
KeyResolver = Callable[[str], PublicKey | None]
_LIBRARY_ERRORS = (HTTPMessageSignaturesException, ValueError, TypeError, KeyError, IndexError)


class AlgorithmUnsupported(InvalidSignature):
    """The signature names an algorithm that is not its key's (UCP ``algorithm_unsupported``)."""


@dataclass(frozen=True)
class UcpSignature:
    """What a verified UCP signature proves: which key signed, when (if said), what it covers."""

    keyid: str
    label: str
    created: datetime | None
    nonce: str | None
    covered_components: tuple[str, ...]


@dataclass
class HttpResponseView:
    """A response as the library's component resolver reads it (``status_code`` marks it)."""

    status_code: int
    headers: FieldLines
    request: None = None


def required_request_components(
    method: str, url: str, fields: Mapping[str, str], *, has_body: bool
) -> list[str]:
    """The components a UCP request signature must cover, in UCP's order.

    >>> required_request_components("PUT", "https://b.example/carts/c1", {"ucp-agent": "x",
    ...     "idempotency-key": "k"}, has_body=True)  # doctest: +NORMALIZE_WHITESPACE
    ['@method', '@authority', '@path', 'ucp-agent', 'idempotency-key', 'content-digest',
     'content-type']
    """
    names = ["@method", "@authority", "@path"]
    if has_query(url):
        names.append("@query")
    if "ucp-agent" in fields:
        names.append("ucp-agent")
    if method.upper() in STATE_CHANGING:
        names.append("idempotency-key")
    if has_body:
        names += ["content-digest", "content-type"]
    return names


def required_response_components(*, has_body: bool) -> list[str]:
    """``@status``, plus the body's digest and type when there is a body."""
    return ["@status", *(["content-digest", "content-type"] if has_body else [])]


def _quoted(names: Iterable[str]) -> list[str]:
    return [str(Item(name)) for name in names]


def _sign(  # noqa: PLR0917 - the message, what it covers, key, kid, time, nonce
    message: Any,
    components: list[str],
    key: SigningKey,
    keyid: str,
    now: datetime,
    nonce: str | None,
) -> None:
    signer = HTTPMessageSigner(signature_algorithm=algorithm_for(key.public))
    try:
        prepared = signer.prepare(
            message,
            key_id=keyid,
            created=now,
            nonce=nonce,
            label=LABEL,
            include_alg=False,
            covered_component_ids=_quoted(components),
            use_existing_digest="content-digest" in message.headers,
        )
        signer.apply(message, prepared, key.sign(prepared.signature_base))
    except HTTPMessageSignaturesException as e:
        raise ValidationError(f"cannot sign: {e}") from e


def _body_headers(lines: FieldLines, body: bytes) -> dict[str, str]:
    if not body:
        return {}
    if "content-type" not in lines:
        raise ValidationError("a message with a body needs a Content-Type header")
    digest = make_content_digest(body)
    lines["Content-Digest"] = digest
    return {"Content-Digest": digest}


def sign_request(  # noqa: PLR0917 - the request, key, time and nonce, as the peers name them
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    key: SigningKey,
    keyid: str,
    now: datetime,
    *,
    nonce: str | None = None,
    also: Sequence[str] = (),
) -> dict[str, str]:
    """The headers a platform adds to sign a UCP request (``Content-Digest``, ``Signature*``).

    ``headers`` must already hold ``UCP-Agent`` and, for a state-changing method,
    ``Idempotency-Key`` (both are signed); ``keyid`` is the key's ``kid`` in the signer's profile;
    ``also``: more header fields to cover (a webhook's ``webhook-id``, ``webhook-timestamp``).
    """
    lines = FieldLines(headers)
    if method.upper() in STATE_CHANGING and "idempotency-key" not in lines:
        raise ValidationError("a state-changing UCP request must carry Idempotency-Key")
    added = _body_headers(lines, bytes(body))
    components = required_request_components(method, url, lines.combined(), has_body=bool(body))
    components += [name for name in also if name not in components]
    _sign(HttpRequestView(method.upper(), url, lines), components, key, keyid, now, nonce)
    combined = lines.combined()
    return {
        **added,
        "Signature-Input": combined["signature-input"],
        "Signature": combined["signature"],
    }


def sign_response(  # noqa: PLR0917 - the response, key and time, all explicit
    status: int, headers: Mapping[str, str], body: bytes, key: SigningKey, keyid: str, now: datetime
) -> dict[str, str]:
    """The headers a business adds to sign a UCP response (``@status`` and the body)."""
    lines = FieldLines(headers)
    added = _body_headers(lines, bytes(body))
    components = required_response_components(has_body=bool(body))
    _sign(HttpResponseView(status, lines), components, key, keyid, now, None)
    combined = lines.combined()
    return {
        **added,
        "Signature-Input": combined["signature-input"],
        "Signature": combined["signature"],
    }


class _UcpVerifier(HTTPMessageVerifier):
    """The library's verifier with ``created`` optional and ``now`` passed in."""

    require_created = False

    def __init__(self, *, key: PublicKey, keyid: str, now: datetime, max_age: timedelta) -> None:
        super().__init__(
            signature_algorithm=algorithm_for(key),
            key_resolver=_OneKey(keyid, _crypto_public_key(key)),
        )
        self.max_clock_skew = CLOCK_SKEW
        self._now, self._max_age = now, max_age

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        created, expires = sig_input.params.get("created"), sig_input.params.get("expires")
        if created is not None:
            instant = _instant(created)
            if instant > self._now + self.max_clock_skew:
                raise _LibraryInvalidSignature('"created" is in the future')
            if instant < self._now - self._max_age - self.max_clock_skew:
                raise _LibraryInvalidSignature('"created" is older than allowed')
        if expires is not None and _instant(expires) < self._now - self.max_clock_skew:
            raise _LibraryInvalidSignature('"expires" is in the past')


def _instant(seconds: Any) -> datetime:
    if type(seconds) is not int:
        raise InvalidSignature("created and expires must be integers")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise InvalidSignature("timestamp out of range") from e


def _select(fields: Mapping[str, str]) -> tuple[str, InnerList]:
    if not fields.get("signature") or not fields.get("signature-input"):
        raise SignatureMissing("no Signature / Signature-Input header")
    parsed = Dictionary()
    try:
        parsed.parse(fields["signature-input"].encode("ascii"))
    except (ValueError, UnicodeEncodeError) as e:
        raise InvalidSignature("Signature-Input is not a Structured Fields Dictionary") from e
    members = [(label, m) for label, m in parsed.items() if isinstance(m, InnerList)]
    chosen = [(label, m) for label, m in members if label == LABEL] or members
    if len(chosen) != 1:
        raise InvalidSignature("expected one signature labelled sig1")
    return chosen[0]


def _verify(  # noqa: PLR0917 - one message view and everything it is judged by
    message: Any,
    body: bytes,
    required: Callable[[bool], list[str]],
    resolve_key: KeyResolver,
    now: datetime,
    max_age: timedelta,
) -> UcpSignature:
    fields = message.headers.combined()
    label, member = _select(fields)
    params = member.params
    keyid = params.get("keyid")
    if not isinstance(keyid, str) or not keyid or len(keyid) > 128:
        raise InvalidSignature("keyid is missing")
    created = params.get("created")
    if created is not None:
        instant = _instant(created)
        if instant > now + CLOCK_SKEW or instant < now - max_age - CLOCK_SKEW:
            raise SignatureExpired("created is outside the accepted window")
    public = resolve_key(keyid)
    if public is None:
        raise UnknownKey("keyid is not among the signer's signing_keys")
    alg = params.get("alg")
    if alg is not None and alg != algorithm_for(public).algorithm_id:
        raise AlgorithmUnsupported("alg does not name the key's algorithm")
    body = bytes(body)
    has_body = bool(body) or "content-digest" in fields
    if has_body:
        verify_content_digest(fields.get("content-digest"), body)  # DigestMismatch
    verifier = _UcpVerifier(key=public, keyid=keyid, now=now, max_age=max_age)
    signatures = Dictionary()
    try:
        signatures.parse(fields["signature"].encode("ascii"))
    except (ValueError, UnicodeEncodeError) as e:
        raise InvalidSignature("Signature is not a Structured Fields Dictionary") from e
    if label not in signatures:
        raise InvalidSignature("Signature has no member for the chosen label")
    # the library picks a signature by tag; UCP has none, so show it only the chosen one
    for name, member_value in (("Signature-Input", member), ("Signature", signatures[label])):
        message.headers[name] = str(Dictionary({label: member_value}))
    try:
        results = verifier.verify(message, max_age=None)
    except _LIBRARY_ERRORS as e:
        raise InvalidSignature(f"signature does not verify: {e}") from e
    covered = tuple(
        c.strip('"') for c in results[0].covered_components if c != '"@signature-params"'
    )
    for name in required(has_body):
        if name not in covered:
            raise InvalidSignature(f"signature does not cover {name}")
    nonce = params.get("nonce")
    return UcpSignature(
        keyid=keyid,
        label=label,
        created=_instant(created) if created is not None else None,
        nonce=nonce if isinstance(nonce, str) else None,
        covered_components=covered,
    )


def verify_request(  # noqa: PLR0917 - the request, keys, time and cache, all explicit
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    resolve_key: KeyResolver,
    now: datetime,
    nonce_cache: NonceCache,
    *,
    replay_scope: str = "",
    max_age: timedelta = MAX_AGE,
    also: Sequence[str] = (),
) -> UcpSignature:
    """Verify a platform's UCP request signature (see module doc); record its nonce, if any.

    ``url`` is the encoded absolute URL as received; ``resolve_key`` maps a ``kid`` of the
    signer's profile to its key; ``replay_scope`` (the signer's profile URL) keeps nonces of two
    platforms that use the same ``kid`` apart; ``also``: more fields that must be covered.
    """
    lines = FieldLines(headers)
    message = HttpRequestView(method.upper(), url, lines)
    fields = lines.combined()
    verified = _verify(
        message,
        body,
        lambda has_body: [
            *required_request_components(method, url, fields, has_body=has_body),
            *also,
        ],
        resolve_key,
        now,
        max_age,
    )
    if verified.nonce is not None:
        if not 8 <= len(verified.nonce) <= 512:
            raise InvalidSignature("nonce of the wrong size")
        scope = f"ucp:{replay_scope}:{verified.keyid}"[-128:]
        if nonce_cache.seen_or_add(scope, verified.nonce, now + max_age + CLOCK_SKEW, now):
            raise NonceReplayed("nonce already used with this key")
    return verified


def verify_response(
    status: int,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    resolve_key: KeyResolver,
    now: datetime,
    *,
    max_age: timedelta = MAX_AGE,
) -> UcpSignature:
    """Verify a business's UCP response signature with a key from its profile."""
    message = HttpResponseView(status, FieldLines(headers))
    return _verify(
        message,
        body,
        lambda has_body: required_response_components(has_body=has_body),
        resolve_key,
        now,
        max_age,
    )
