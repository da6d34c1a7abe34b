"""The calling platforms' UCP profiles: fetched with a bounded timeout, checked, cached.

UCP 2026-04-08 (overview, "Profile Requirements"): a business fetches the profile named in
``UCP-Agent`` to negotiate and to find the platform's ``signing_keys``. Rules kept here:

* the URL must be HTTPS (``invalid_profile_url``, 400); plain HTTP is accepted only for a
  loopback host (127.0.0.0/8, ::1, ``localhost``), for local development and tests;
* one GET, no redirects (a 3xx is a failure), connect and read within ``timeout`` seconds, a
  body of at most 64 KiB; a host that does not resolve is ``invalid_profile_url`` (400, UCP:
  "malformed, missing, or unresolvable"; ``UnresolvableProfile``); any other failure (refused,
  timeout, non-2xx) is ``profile_unreachable`` (424); content that is not a JSON profile is
  ``profile_malformed`` (422);
* a good profile is cached for its ``Cache-Control`` ``max-age`` within [60 s, 1 h] (60 s when
  it says nothing); a failure is cached for ``failure_ttl`` (60 s), so an unreachable profile
  costs one timeout a minute, never a hang per request;
* the cache is bounded (LRU, ``max_entries``): the discovery footprint stays fixed however many
  profile URLs callers invent;
* ``refresh`` (an unknown ``kid``) refetches a cached profile at most once per 60 s.

Signing keys of a type UCP does not require (anything but EC P-256 here: ES384 is optional in
UCP and not supported) are only remembered by ``kid``: a signature by one is then
``algorithm_unsupported``. The fetch itself is behind ``ProfileFetcher`` (the real one
is ``HttpProfileFetcher``, over httpx).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from trustcart.commerce.ucp.errors import UcpCode, UcpError
from trustcart.crypto.errors import KeyFormatError
from trustcart.crypto.keys import PublicKey

MAX_PROFILE_BYTES = 64 * 1024
TTL_FLOOR = timedelta(seconds=60)
TTL_CEILING = timedelta(hours=1)
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age=(\d+)")


@dataclass(frozen=True)
class PlatformProfile:
    """What a platform's profile says that the business uses."""

    url: str
    version: str
    capabilities: Mapping[str, Any]
    signing_keys: Mapping[str, PublicKey] = field(default_factory=dict)  # kid -> key
    other_kids: frozenset[str] = frozenset()  # published keys of an algorithm UCP does not use


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: Mapping[str, str]
    body: bytes


class ProfileUnresolvable(OSError):
    """The profile URL's host has no DNS answer (an offline installation, or no such host)."""


class UnresolvableProfile(UcpError):
    """UCP's ``invalid_profile_url`` for a host that does not resolve (the fallback's case)."""

    def __init__(self, why: str) -> None:
        super().__init__(UcpCode.INVALID_PROFILE_URL, why, status=400, path="UCP-Agent")


def _unresolved(error: BaseException) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class ProfileFetcher(Protocol):
    def fetch(self, url: str, timeout: float) -> Fetched:
        """GET ``url`` without following redirects; raise ``OSError`` when there is no answer."""
        ...


class HttpProfileFetcher:
    """The real fetcher: httpx, no redirects, bounded time and size."""

    def fetch(self, url: str, timeout: float) -> Fetched:
        try:
            with (
                httpx.Client(timeout=timeout, follow_redirects=False) as client,
                client.stream("GET", url, headers={"Accept": "application/json"}) as response,
            ):
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_PROFILE_BYTES:
                        raise OSError("profile larger than 64 KiB")
                return Fetched(response.status_code, dict(response.headers), body)
        except httpx.HTTPError as e:
            if _unresolved(e):
                raise ProfileUnresolvable("the profile's host does not resolve") from e
            raise OSError(f"profile fetch failed: {type(e).__name__}") from e


def check_profile_url(url: str) -> None:
    """Refuse a profile URL that is not HTTPS (plain HTTP only on a loopback host).

    >>> check_profile_url("https://platform.example/.well-known/ucp")
    >>> check_profile_url("http://platform.example/ucp")
    Traceback (most recent call last):
    ...
    trustcart.commerce.ucp.errors.UcpError: invalid_profile_url: profile URLs must be HTTPS
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and _loopback(host):
        return
    raise UcpError(UcpCode.INVALID_PROFILE_URL, "profile URLs must be HTTPS", path="UCP-Agent")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _malformed(why: str) -> UcpError:
    return UcpError(UcpCode.PROFILE_MALFORMED, f"the platform's profile {why}", status=422)


def parse_profile(url: str, body: bytes) -> PlatformProfile:
    """A platform profile from its JSON; ``profile_malformed`` when it is not one (pure)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise _malformed("is not JSON") from e
    meta = document.get("ucp") if isinstance(document, dict) else None
    if not isinstance(meta, dict):
        raise _malformed("has no ucp object")
    version, capabilities = meta.get("version"), meta.get("capabilities", {})
    if not isinstance(version, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", version):
        raise _malformed("has no dated ucp.version")
    if not isinstance(capabilities, dict) or not all(
        isinstance(v, list) for v in capabilities.values()
    ):
        raise _malformed("has no capabilities registry (name -> array)")
    raw_keys = document.get("signing_keys", [])
    if not isinstance(raw_keys, list):
        raise _malformed("signing_keys is not an array")
    keys: dict[str, PublicKey] = {}
    others: set[str] = set()
    for jwk in raw_keys:
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        if not isinstance(kid, str) or not kid:
            raise _malformed("has a signing key without kid")
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            others.add(kid)  # not an ES256 key: a signature by it is algorithm_unsupported
            continue
        try:
            keys[kid] = PublicKey.from_jwk({k: v for k, v in jwk.items() if k != "alg"})
        except KeyFormatError as e:
            raise _malformed(f"has an unusable signing key {kid}") from e
    return PlatformProfile(url, version, capabilities, keys, frozenset(others))


def cache_ttl(headers: Mapping[str, str]) -> timedelta:
    """How long to keep a profile: its ``max-age`` within [60 s, 1 h].

    >>> cache_ttl({"cache-control": "public, max-age=300"}).total_seconds()
    300.0
    >>> cache_ttl({}).total_seconds()
    60.0
    """
    value = next((v for k, v in headers.items() if k.lower() == "cache-control"), "")
    found = _MAX_AGE.search(value.lower())
    seconds = timedelta(seconds=int(found.group(1))) if found else TTL_FLOOR
    return min(max(seconds, TTL_FLOOR), TTL_CEILING)


@dataclass(frozen=True)
class _Entry:
    fetched_at: datetime
    until: datetime
    profile: PlatformProfile | None
    error: UcpError | None


class PlatformDirectory:
    """Platform profiles by URL, fetched on first use and cached (module doc). Thread-safe."""

    def __init__(
        self,
        fetcher: ProfileFetcher,
        now: Callable[[], datetime],
        *,
        timeout: float = 2.0,
        failure_ttl: timedelta = TTL_FLOOR,
        max_entries: int = 1024,
    ) -> None:
        self._fetcher, self._now = fetcher, now
        self._timeout, self._failure_ttl, self._max = timeout, failure_ttl, max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def profile(self, url: str, *, refresh: bool = False) -> PlatformProfile:
        """The platform's profile, or the ``UcpError`` that reading it gave (cached too)."""
        check_profile_url(url)
        now = self._now()
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None:
                self._entries.move_to_end(url)
        stale = entry is None or entry.until <= now
        if refresh and entry is not None and now - entry.fetched_at >= TTL_FLOOR:
            stale = True
        if stale:
            entry = self._fetch(url, now)
            with self._lock:
                self._entries[url] = entry
                self._entries.move_to_end(url)
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        assert entry is not None
        if entry.profile is None:
            assert entry.error is not None
            raise entry.error
        return entry.profile

    def _fetch(self, url: str, now: datetime) -> _Entry:
        try:
            fetched = self._fetcher.fetch(url, self._timeout)
        except ProfileUnresolvable as e:
            return self._failed(now, UnresolvableProfile(str(e)))
        except OSError as e:
            return self._failed(now, UcpError(UcpCode.PROFILE_UNREACHABLE, str(e), status=424))
        if not 200 <= fetched.status < 300:
            why = f"the platform's profile answered HTTP {fetched.status}"
            return self._failed(now, UcpError(UcpCode.PROFILE_UNREACHABLE, why, status=424))
        try:
            profile = parse_profile(url, fetched.body)
        except UcpError as e:
            return self._failed(now, e)
        return _Entry(now, now + cache_ttl(fetched.headers), profile, None)

    def _failed(self, now: datetime, error: UcpError) -> _Entry:
        return _Entry(now, now + self._failure_ttl, None, error)
