"""Agent identity on the wire, both sides: the server dependency and the client signer.

Server: an endpoint that only signed agents may call declares
``request: VerifiedRequest = Depends(require_signed_request)`` (or ``require_signed_get`` for a
request without a body). The dependency reads the raw body under the size cap, verifies the
RFC 9421 signature, Content-Digest, freshness and nonce with the ``RequestVerifier`` stored as
``app.state.request_verifier``, resolves the key in the key directory, and only then parses JSON.
Every failure is a problem+json response; the detailed reason goes to the log, not the caller:

    signature-missing 401 · signature-invalid 401 · signature-expired 401 · nonce-replayed 401
    unknown-agent 401 · digest-mismatch 400

The URL verified is the one the server received: scheme, ``Host`` and the *raw* path and query,
so percent-encoding is compared as sent.

Client: ``AgentRequestSigner`` is an ``httpx.Auth`` that signs every request (sync or async
client, any transport)::

    client = httpx.AsyncClient(auth=AgentRequestSigner(key, signature_agent="https://agent/jwks"))
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import Request

from trustcart.api.common import parse_json_object, read_body
from trustcart.core.clock import Clock, SystemClock
from trustcart.core.problem import CommonProblem, ProblemError
from trustcart.crypto.digest import DigestMismatch
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.httpsig.profile import DEFAULT_LIFETIME, new_nonce
from trustcart.crypto.httpsig.signing import sign_request
from trustcart.crypto.httpsig.verification import (
    NonceReplayed,
    SignatureExpired,
    SignatureMissing,
    UnknownKey,
    VerifiedSignature,
    verify_request,
)
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.crypto.nonces import NonceCache
from trustcart.trust.directory import DirectoryEntry, KeyDirectory, usable_key

log = logging.getLogger(__name__)

# Most specific first: DigestMismatch and the others are all InvalidSignature.
_PROBLEMS: tuple[tuple[type[InvalidSignature], CommonProblem, int, str], ...] = (
    (SignatureMissing, CommonProblem.SIGNATURE_MISSING, 401, "sign the request (RFC 9421)"),
    (SignatureExpired, CommonProblem.SIGNATURE_EXPIRED, 401, "the signature has expired"),
    (NonceReplayed, CommonProblem.NONCE_REPLAYED, 401, "this signature was already used"),
    (UnknownKey, CommonProblem.UNKNOWN_AGENT, 401, "the signing key is not accepted here"),
    (DigestMismatch, CommonProblem.DIGEST_MISMATCH, 400, "Content-Digest does not match the body"),
    (InvalidSignature, CommonProblem.SIGNATURE_INVALID, 401, "the request signature is invalid"),
)


def problem_for(error: InvalidSignature) -> ProblemError:
    """The problem+json error for a failed signature check (the detail stays generic)."""
    for kind, code, status, detail in _PROBLEMS:
        if isinstance(error, kind):
            return ProblemError(code, status, detail)
    raise AssertionError("unreachable: InvalidSignature is the last entry")  # pragma: no cover


@dataclass(frozen=True)
class VerifiedRequest:
    party_id: str
    kid: str
    role: str
    body: bytes
    json: dict[str, Any]
    signature: VerifiedSignature | None = None


class RequestVerifier:
    """Verifies agent requests against a key directory and a replay cache, at ``clock.now()``."""

    def __init__(
        self,
        directory: KeyDirectory,
        nonce_cache: NonceCache,
        clock: Clock,
        *,
        allowed_roles: Collection[str] = ("agent",),
    ) -> None:
        self.directory = directory
        self.nonce_cache = nonce_cache
        self.clock = clock
        self.allowed_roles = frozenset(allowed_roles)

    def verify(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[VerifiedSignature, DirectoryEntry]:
        """Verify or raise ``ProblemError``; return the signature and the signer's entry."""
        now = self.clock.now()
        found: dict[str, DirectoryEntry] = {}

        def resolve(kid: str) -> PublicKey | None:
            entry = usable_key(self.directory, kid, now, roles=self.allowed_roles)
            if entry is None:
                return None
            found[kid] = entry
            return entry.public_key

        try:
            signature = verify_request(method, url, headers, body, resolve, now, self.nonce_cache)
        except InvalidSignature as e:
            problem = problem_for(e)
            log.info("agent request refused: %s (%s %s): %s", problem.code, method, url, e)
            raise problem from e
        return signature, found[signature.keyid]


def received_url(request: Request) -> str:
    """The absolute URL as received: scheme, Host header, raw path and raw query string."""
    scope = request.scope
    host = request.headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    path = raw_path.decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope.get('scheme', 'http')}://{host}{path}" + (f"?{query}" if query else "")


def _header_lines(request: Request) -> list[tuple[str, str]]:
    raw = request.headers.raw
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]


def _verifier(request: Request) -> RequestVerifier:
    verifier = getattr(request.app.state, "request_verifier", None)
    if not isinstance(verifier, RequestVerifier):
        # A misconfigured app must not accept unsigned requests.
        raise ProblemError(CommonProblem.INTERNAL, 500, "request verification is not configured")
    return verifier


async def verify_signed(
    request: Request, verifier: RequestVerifier | None = None, *, with_body: bool = True
) -> VerifiedRequest:
    """Verify ``request`` with ``verifier`` (default: the app's ``request_verifier``).

    ``with_body``: the body must be a JSON object (``json``); otherwise there must be none.
    A route whose callers are other roles than the app's (the PSP's dispute routes) passes
    a verifier of its own over the same directory and replay cache.
    """
    body = await read_body(request)
    signature, entry = (verifier or _verifier(request)).verify(
        request.method, received_url(request), _header_lines(request), body
    )
    if with_body:
        data = parse_json_object(body, request.headers.get("content-type"))
    elif body:
        raise ProblemError(CommonProblem.INVALID_REQUEST, 400, "this endpoint takes no body")
    else:
        data = {}
    return VerifiedRequest(
        party_id=entry.party_id,
        kid=entry.kid,
        role=entry.role,
        body=body,
        json=data,
        signature=signature,
    )


async def require_signed_request(request: Request) -> VerifiedRequest:
    """FastAPI dependency: a signed request with a JSON object body."""
    return await verify_signed(request)


async def require_signed_get(request: Request) -> VerifiedRequest:
    """FastAPI dependency: a signed request without a body (GET, DELETE); ``json`` is empty."""
    return await verify_signed(request, with_body=False)


class AgentRequestSigner(httpx.Auth):
    """Signs every outgoing request in trustcart's RFC 9421 profile (see crypto.httpsig)."""

    requires_request_body = True

    def __init__(
        self,
        key: SigningKey,
        *,
        signature_agent: str | None = None,
        clock: Clock | None = None,
        nonce_source: Callable[[], str] = new_nonce,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> None:
        self.key = key
        self.signature_agent = signature_agent
        self.clock = clock or SystemClock()
        self.nonce_source = nonce_source
        self.lifetime = lifetime

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for name in ("Signature", "Signature-Input", "Content-Digest", "Signature-Agent"):
            request.headers.pop(name, None)
        added = sign_request(
            request.method,
            str(request.url),
            dict(request.headers),
            request.content,
            self.key,
            self.clock.now(),
            self.nonce_source(),
            lifetime=self.lifetime,
            signature_agent=self.signature_agent,
        )
        request.headers.update(added)
        yield request
