"""How the relay hands a message to its destination: the ``Transport`` protocol and the log's.

A transport tries one message once and answers an ``Outcome``; it never raises for a failed
delivery (the relay counts anything that escapes as a retry). Two transports reach the
transparency log with a record already signed by its initiator:

* ``LocalLogTransport`` anchors it through an ``AttestationService`` in this process (the
  embedded default, and ``trustcart relay`` beside the store);
* ``HttpLogTransport`` posts it to the trust service's ``POST /records``.

Both read the log's answer the same way. The log answers a record id it already holds with
that entry, so a record delivered twice (a relay that died after the log wrote it) is simply
delivered; a *different* record under a known id is refused for good. Refusals that can heal
are retried: ``record-chain-unknown`` (another party's record this one builds on, such as the
merchant's ``cart-confirmed`` under the PSP's ``transaction-completed``, is still in that
party's outbox), ``record-time-skew`` (clocks apart), ``rate-limited``, an unreachable log or a
5xx. Every other refusal is final: the record will never be admitted as it stands. The merchant
notice transport lives with the notices (``payments.notices.NoticeTransport``).
"""

from __future__ import annotations

from typing import Protocol

import httpx
from sqlalchemy.exc import SQLAlchemyError

from trustcart.core.problem import CommonProblem
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import KeyResolver
from trustcart.delivery.messages import OutboxMessage, Outcome
from trustcart.trust.admission import RecordRefusal
from trustcart.trust.attestations import AttestationService
from trustcart.trust.errors import DuplicateRecord, RecordRefused, TrustError

# The log's refusals that a later attempt can get past.
RETRYABLE_REFUSALS = frozenset(
    {
        RecordRefusal.CHAIN_UNKNOWN.value,
        RecordRefusal.TIME_SKEW.value,
        CommonProblem.RATE_LIMITED.value,
    }
)


class Transport(Protocol):
    """Tries to deliver one message; answers what happened."""

    def deliver(self, message: OutboxMessage) -> Outcome: ...


def refusal_outcome(code: str, detail: str) -> Outcome:
    """A log refusal with ``code``: retried if it can heal, else final."""
    text = f"{code}: {detail}"
    return Outcome.retry(text) if code in RETRYABLE_REFUSALS else Outcome.refused(text)


class LocalLogTransport:
    """Anchors records in a log in this process; ``keys`` resolves initiators' keys."""

    def __init__(self, attestations: AttestationService, keys: KeyResolver) -> None:
        self._attestations = attestations
        self._keys = keys

    def deliver(self, message: OutboxMessage) -> Outcome:
        try:
            recorded = self._attestations.anchor(message.payload, self._keys)
        except DuplicateRecord as e:
            return Outcome.refused(f"another record holds id {e.record_id}")
        except RecordRefused as e:
            return refusal_outcome(e.code, e.detail)
        except (InvalidSignature, TrustError) as e:
            return Outcome.refused(f"the record does not verify: {e}")
        except SQLAlchemyError as e:  # the log's store is busy or away
            return Outcome.retry(f"log store unavailable: {type(e).__name__}")
        return Outcome.delivered(f"leaf {recorded.leaf_index}")


class HttpLogTransport:
    """Posts records to the trust service (``client`` has its base URL and timeouts)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def deliver(self, message: OutboxMessage) -> Outcome:
        try:
            response = self._client.post("/records", json={"record": message.payload})
        except httpx.HTTPError as e:
            return Outcome.retry(f"log unreachable: {type(e).__name__}")
        if response.status_code in (200, 201):
            return Outcome.delivered(f"leaf {response.json().get('leaf_index')}")
        code, detail = _problem(response)
        if response.status_code >= 500 or response.status_code in (408, 429):
            return Outcome.retry(f"log answered {response.status_code} {code}")
        if code == CommonProblem.IDEMPOTENCY_CONFLICT.value:
            return Outcome.refused(f"another record holds this id: {detail}")
        return refusal_outcome(code, detail)


def _problem(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return f"http-{response.status_code}", response.text[:200]
    if not isinstance(body, dict):
        return f"http-{response.status_code}", ""
    return str(body.get("code", f"http-{response.status_code}")), str(body.get("detail", ""))
