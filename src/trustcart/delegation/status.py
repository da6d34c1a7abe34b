"""Credential status: signed status attestations, and the checker every verifier calls.

trustcart uses a *signed status endpoint* (DESIGN leaves the choice open): the status service
(ADD-IAC-LCM) answers ``GET <status_reference.url>`` with a JWS (``typ: act-iac-status+jwt``)
``{delegation_id, status, checked_at, valid_until}``. Why not a Bitstring Status List: a
per-credential signed answer can go into the evidence bundle as proof of status *at time of
use*, and revocation takes effect within one TTL instead of one list publication.

Caching and outage (ACT: "query status_reference before deciding; the last good result may be
used temporarily during an outage"): a checker asks every time; only when the endpoint cannot
be reached or answers anything unverifiable does it reuse the last Active attestation, and only
until its ``valid_until`` (TTL 60 s), marked ``from_cache``. Past that, ``StatusUnavailable``
is raised: fail closed. A non-Active answer is never replaced by a cached Active one.

A cached answer cannot show a revocation made during the outage, so what it may be used for is
the verifier's policy: the payment provider never pays on one (it holds the payment,
``payments.payment_admission``); the agent's own pre-check may proceed on it, because the PSP
asks again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from trustcart.core.clock import Clock, format_instant, parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.json_limits import loads_bounded
from trustcart.core.typs import STATUS_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import sign_compact, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.errors import StatusUnavailable
from trustcart.delegation.iac import IAC
from trustcart.delegation.lifecycle import CredentialStatus

STATUS_TTL = timedelta(seconds=60)
# Instants on the wire have second precision and parties' clocks differ a little: a status
# signed a moment after the verifier read its clock may say a later second. Accept that much.
STATUS_CLOCK_SKEW = timedelta(seconds=5)


@dataclass(frozen=True)
class StatusAttestation:
    delegation_id: str
    status: CredentialStatus
    checked_at: datetime
    valid_until: datetime
    token: str
    # How this copy was obtained, not part of the signed payload: True when a checker answered
    # from its cache because the status service could not be reached (an outage).
    from_cache: bool = False

    def fresh_at(self, now: datetime) -> bool:
        return self.checked_at - STATUS_CLOCK_SKEW <= now <= self.valid_until


def sign_status(
    delegation_id: str,
    status: CredentialStatus,
    *,
    key: SigningKey,
    now: datetime,
    ttl: timedelta = STATUS_TTL,
) -> StatusAttestation:
    payload = {
        "delegation_id": delegation_id,
        "status": status.value,
        "checked_at": format_instant(now),
        "valid_until": format_instant(now + ttl),
    }
    token = sign_compact(payload, key, typ=STATUS_TYP)
    return parse_status_payload(payload, token)


def parse_status_payload(payload: Mapping[str, Any], token: str) -> StatusAttestation:
    try:
        return StatusAttestation(
            delegation_id=str(payload["delegation_id"]),
            status=CredentialStatus(payload["status"]),
            checked_at=parse_instant(payload["checked_at"]),
            valid_until=parse_instant(payload["valid_until"]),
            token=token,
        )
    except (KeyError, ValueError, ValidationError) as e:
        raise InvalidSignature from e  # an unparseable attestation is as good as unsigned


def verify_status(
    token: str,
    keys: Mapping[str, PublicKey] | Callable[[str], PublicKey | None],
    delegation_id: str,
) -> StatusAttestation:
    """Verify a status JWS and that it speaks of ``delegation_id``; raise InvalidSignature."""
    verified = verify_compact(token, keys, typ=STATUS_TYP)
    attestation = parse_status_payload(verified.payload, token)
    if attestation.delegation_id != delegation_id:
        raise InvalidSignature
    return attestation


class StatusChecker(Protocol):
    def check(self, iac: IAC, now: datetime) -> StatusAttestation:
        """A fresh attestation for ``iac``, or raise StatusUnavailable."""
        ...


class HttpStatusChecker:
    """Fetches ``status_reference.url`` over HTTP, verifies, caches until ``valid_until``.

    Only status URLs under ``allowed_prefixes`` are fetched: the URL comes from the credential,
    and a verifier must not be steered into fetching arbitrary hosts.
    """

    def __init__(
        self,
        client: httpx.Client,
        status_keys: Mapping[str, PublicKey] | Callable[[str], PublicKey | None],
        *,
        allowed_prefixes: tuple[str, ...],
        clock: Clock,
    ) -> None:
        self._client = client
        # A resolver (e.g. the key directory) sees revocations; a mapping is a pinned set.
        self._keys = dict(status_keys) if isinstance(status_keys, Mapping) else status_keys
        self._prefixes = allowed_prefixes
        self._clock = clock
        self._cache: dict[str, StatusAttestation] = {}

    def check(self, iac: IAC, now: datetime) -> StatusAttestation:
        """Ask the status service; only when it cannot answer, fall back to the last good
        (Active, still fresh) attestation. A revocation is therefore seen at the next check,
        not after a cache expires."""
        if not iac.status_url.startswith(self._prefixes):
            raise StatusUnavailable(f"status URL {iac.status_url} is not a trusted status service")
        try:
            response = self._client.get(iac.status_url, timeout=5.0)
            response.raise_for_status()
            token = loads_bounded(response.content)["status"]
            attestation = verify_status(token, self._keys, iac.delegation_id)
        except (httpx.HTTPError, ValueError, KeyError, TypeError, InvalidSignature) as e:
            cached = self._cache.get(iac.delegation_id)
            if cached is not None and cached.fresh_at(now) and self._still_trusted(cached):
                return replace(cached, from_cache=True)  # outage: the last good result
            raise StatusUnavailable(f"status of {iac.delegation_id} unavailable: {e!r}") from e
        if not attestation.fresh_at(now):
            raise StatusUnavailable("status attestation is not fresh")
        if attestation.status is CredentialStatus.ACTIVE:
            self._cache[iac.delegation_id] = attestation
        else:
            self._cache.pop(iac.delegation_id, None)
        return attestation

    def _still_trusted(self, cached: StatusAttestation) -> bool:
        """A cached answer counts only while its signing key is still trusted (not revoked)."""
        try:
            verify_status(cached.token, self._keys, cached.delegation_id)
        except InvalidSignature:
            return False
        return True
