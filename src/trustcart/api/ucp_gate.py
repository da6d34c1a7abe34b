"""Who is calling the UCP business, and on what terms: profile, signature, negotiation.

Every UCP request but the business profile passes ``UcpGate.admit`` before it touches anything:

1. ``UCP-Agent`` names the platform's profile URL (``commerce.ucp.requests.platform_profile``),
   which must be HTTPS (HTTP on loopback only);
2. the profile is read through the ``PlatformDirectory`` (bounded timeout, cached);
3. a request that carries ``Signature`` / ``Signature-Input``, or any request when the business
   requires signatures (``UcpPolicy.require_signatures``), is verified in UCP's RFC 9421 profile
   (``crypto.httpsig.ucp``) with the ``signing_keys`` of that profile: missing, unknown key, bad
   digest, bad signature, stale ``created`` or a replayed ``nonce`` is refused with the UCP code
   and status below, before any state is read or written;
4. version negotiation and capability intersection with the profile
   (``commerce.ucp.negotiation``); the operation's root capability must be in it.

A profile that cannot be fetched is refused as UCP says: ``profile_unreachable`` (424) when its
host answers wrongly or not in time, ``invalid_profile_url`` (400) when the host does not
resolve at all. For that last case only (an installation without DNS, as in these tests and the
conformance run, where platform profiles on the public internet cannot be reached), and only when
``UcpPolicy.unreachable_profile`` is ``"fallback"`` (the default), signatures are not required
and the request is unsigned, the request goes on with the business's own capabilities (the
documented fallback, ``docs/ucp.md``; the failure stays cached, so it costs one bounded lookup a
minute).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from trustcart.commerce.ucp.errors import UcpCode, UcpError
from trustcart.commerce.ucp.negotiation import (
    Negotiated,
    fallback_negotiation,
    negotiate,
    require,
)
from trustcart.commerce.ucp.platforms import (
    PlatformDirectory,
    PlatformProfile,
    UnresolvableProfile,
    check_profile_url,
)
from trustcart.commerce.ucp.requests import platform_profile
from trustcart.crypto.digest import DigestMismatch
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.httpsig.ucp import (
    MAX_AGE,
    AlgorithmUnsupported,
    UcpSignature,
    verify_request,
)
from trustcart.crypto.httpsig.verification import (
    NonceReplayed,
    SignatureExpired,
    SignatureMissing,
    UnknownKey,
)
from trustcart.crypto.keys import PublicKey
from trustcart.crypto.nonces import NonceCache

# most specific first: each class is a subclass of InvalidSignature
_SIGNATURE_CODES: tuple[tuple[type[InvalidSignature], UcpCode, int], ...] = (
    (SignatureMissing, UcpCode.SIGNATURE_MISSING, 401),
    (UnknownKey, UcpCode.KEY_NOT_FOUND, 401),
    (DigestMismatch, UcpCode.DIGEST_MISMATCH, 400),
    (AlgorithmUnsupported, UcpCode.ALGORITHM_UNSUPPORTED, 400),
    (SignatureExpired, UcpCode.SIGNATURE_EXPIRED, 401),
    (NonceReplayed, UcpCode.SIGNATURE_REPLAYED, 401),
    (InvalidSignature, UcpCode.SIGNATURE_INVALID, 401),
)


@dataclass(frozen=True)
class UcpPolicy:
    """The business's settings for callers (``TRUSTCART_UCP_*`` in ``local.ucp``)."""

    require_signatures: bool = False
    unreachable_profile: Literal["reject", "fallback"] = "fallback"
    max_signature_age: timedelta = MAX_AGE

    def __post_init__(self) -> None:
        if self.unreachable_profile not in ("reject", "fallback"):
            raise ValueError("unreachable_profile is 'reject' or 'fallback'")
        if self.max_signature_age <= timedelta(0):
            raise ValueError("max_signature_age must be positive")


@dataclass(frozen=True)
class Caller:
    """An admitted request: its platform, the negotiated terms, its verified signature if any."""

    platform: str
    negotiated: Negotiated
    signature: UcpSignature | None


def signature_error(error: InvalidSignature) -> UcpError:
    """The UCP error for a failed signature check (the detail stays in the log)."""
    for kind, code, status in _SIGNATURE_CODES:
        if isinstance(error, kind):
            return UcpError(code, f"request signature refused ({code})", status=status)
    raise AssertionError("unreachable: InvalidSignature is in the table")


class UcpGate:
    def __init__(
        self,
        directory: PlatformDirectory,
        nonces: NonceCache,
        now: Callable[[], datetime],
        policy: UcpPolicy | None = None,
    ) -> None:
        self._directory, self._nonces, self._now = directory, nonces, now
        self.policy = policy or UcpPolicy()

    async def admit(self, request: Request, body: bytes, root: str) -> Caller:
        """Admit ``request`` (raw ``body``) for an operation of capability ``root``."""
        url = platform_profile(request.headers.get("ucp-agent"))
        check_profile_url(url)
        signed = "signature" in request.headers or "signature-input" in request.headers
        try:
            profile: PlatformProfile | None = await run_in_threadpool(self._directory.profile, url)
        except UcpError as e:
            fallback = (
                isinstance(e, UnresolvableProfile)
                and self.policy.unreachable_profile == "fallback"
                and not self.policy.require_signatures
                and not signed
            )
            if not fallback:
                raise
            profile = None
        signature = None
        if profile is not None and (signed or self.policy.require_signatures):
            signature = await run_in_threadpool(self._verify, request, body, profile)
        negotiated = (
            fallback_negotiation()
            if profile is None
            else negotiate(profile.version, profile.capabilities)
        )
        require(negotiated, root)
        return Caller(url, negotiated, signature)

    def _verify(self, request: Request, body: bytes, profile: PlatformProfile) -> UcpSignature:
        def resolve(kid: str) -> PublicKey | None:
            if kid in profile.other_kids:
                raise AlgorithmUnsupported("the key's algorithm is not ES256")
            key = profile.signing_keys.get(kid)
            if key is None:  # UCP: an unknown kid may force one refresh per TTL floor
                key = self._directory.profile(profile.url, refresh=True).signing_keys.get(kid)
            return key

        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        try:
            return verify_request(
                request.method,
                str(request.url),
                headers,
                body,
                resolve,
                self._now(),
                self._nonces,
                replay_scope=profile.url,
                max_age=self.policy.max_signature_age,
            )
        except InvalidSignature as e:
            raise signature_error(e) from e
