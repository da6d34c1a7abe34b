"""The bench-only switch that turns the trust checks off, to measure what they cost.

Nothing outside ``trustcart.bench`` constructs these classes: ``local.deployment.build`` and
``trustcart serve`` never do, there is no environment variable or command-line flag that
reaches them, and ``tests/bench/test_unchecked.py`` shows that the served apps refuse unsigned
requests. The bench builds a *second* merchant app and payment provider beside the real ones
(same store, same services, same log) with:

* ``UncheckedRequestVerifier``: no RFC 9421 verification, no nonce write: every request is
  taken as signed by one fixed party (the bench's agent), whose clients do not sign at all;
* ``AlwaysActive``: the credential status is "Active" without asking the status service (no
  HTTP round trip, no status signature to verify), for the agent and for the PSP.

What stays on in both runs: the JWS checks that also parse the tokens (IAC, cart, receipt),
the constraints and budget under lock, the ledger, the outbox and the events in the log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI

from trustcart.api.agent_auth import RequestVerifier
from trustcart.api.merchant import create_merchant_app
from trustcart.api.psp import create_psp_app
from trustcart.core.clock import Clock
from trustcart.core.problem import CommonProblem, ProblemError
from trustcart.crypto.httpsig.verification import VerifiedSignature
from trustcart.crypto.nonces import InMemoryNonceCache
from trustcart.delegation.iac import IAC
from trustcart.delegation.lifecycle import CredentialStatus
from trustcart.delegation.status import StatusAttestation
from trustcart.delivery.transports import HttpLogTransport
from trustcart.local import parties
from trustcart.local.deployment import PSP_ID, Deployment
from trustcart.payments.provider import PaymentProvider
from trustcart.trust.directory import DirectoryEntry, KeyDirectory, usable_key

STATUS_LIFETIME = timedelta(seconds=60)


class AlwaysActive:
    """A status checker that answers Active without asking (bench only)."""

    def check(self, iac: IAC, now: datetime) -> StatusAttestation:
        return StatusAttestation(
            iac.delegation_id, CredentialStatus.ACTIVE, now, now + STATUS_LIFETIME, token=""
        )


class UncheckedRequestVerifier(RequestVerifier):
    """Takes every request as signed by ``kid`` without verifying anything (bench only)."""

    def __init__(self, directory: KeyDirectory, clock: Clock, *, kid: str) -> None:
        super().__init__(directory, InMemoryNonceCache(), clock)  # never consulted
        self.kid = kid

    def verify(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[VerifiedSignature, DirectoryEntry]:
        now = self.clock.now()
        entry = usable_key(self.directory, self.kid, now)
        if entry is None:
            raise ProblemError(CommonProblem.UNKNOWN_AGENT, 401, "the bench's key is not listed")
        signature = VerifiedSignature(
            keyid=self.kid,
            label="bench",
            created=now,
            expires=now,
            nonce="",
            tag="bench-unchecked",
            algorithm="none",
            covered_components=(),
        )
        return signature, entry


def unchecked_apps(deployment: Deployment, clients: list[httpx.Client]) -> dict[str, FastAPI]:
    """A merchant app and a PSP app over ``deployment``'s store with the checks off.

    The PSP is a second ``PaymentProvider`` on the same store, log and merchant notices; the
    merchant app serves the deployment's own ``MerchantService``. ``clients`` receives the
    HTTP clients opened here (the caller closes them).
    """
    d = deployment
    log_client = httpx.Client(base_url=d.endpoints.trust, timeout=5.0)
    notice_client = httpx.Client(timeout=5.0)
    clients.extend((log_client, notice_client))
    psp = PaymentProvider(
        d.db,
        psp_id=PSP_ID,
        signing_key=d.keys.get("psp"),
        directory=d.directory,
        status_checker=AlwaysActive(),
        notifier=parties.merchant_notifier(notice_client, d.endpoints.merchant, d.keys, d.clock),
        clock=d.clock,
        log=HttpLogTransport(log_client),
    )
    agent_kid = d.agent_key.kid
    return {
        "merchant": create_merchant_app(
            d.merchants, UncheckedRequestVerifier(d.directory, d.clock, kid=agent_kid)
        ),
        "psp": create_psp_app(psp, UncheckedRequestVerifier(d.directory, d.clock, kid=agent_kid)),
    }


def bench_worker_apps(deployment: Deployment) -> dict[str, FastAPI]:
    """What each bench worker process serves (``local.workers``): every role's app and the
    unchecked twins, as ``merchant-unchecked`` and ``psp-unchecked``."""
    clients: list[httpx.Client] = []  # live as long as the worker process
    apps = dict(deployment.apps)
    for role, app in unchecked_apps(deployment, clients).items():
        apps[f"{role}-unchecked"] = app
    return apps
