"""Idempotency keys, Stripe's model: a retry gets the first answer, never a second charge.

Per (scope, key), where the scope names the caller and the operation (``payments:<agent_id>``):

* first request: ``claim`` stores an *in-flight* row in its own short transaction, so that a
  concurrent duplicate sees it;
* the operation then finishes with ``complete`` in the *same* transaction that writes its
  effects (the payment and its ledger entry), so "charged" and "answer stored" commit together;
* same key, same request fingerprint, finished: the stored answer is replayed;
* same key, other request: ``idempotency-conflict`` (422);
* same key while the first is still running: ``idempotency-in-flight`` (409).

A refusal with a 4xx status is stored and replayed like a success (the request was decided).
A 5xx answer (status service unreachable) ``release``s the key so that a retry decides afresh.
An in-flight claim whose lease ran out (its process died) may be taken over: nothing it did
can have committed, because its effects and its ``complete`` share one transaction.

>>> request_fingerprint({"b": "1", "a": "2"}) == request_fingerprint({"a": "2", "b": "1"})
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.crypto.jcs import jcs_digest
from trustcart.payments.errors import PaymentProblem, PaymentRefused
from trustcart.store.payments import IdempotencyKeyRow
from trustcart.store.upsert import insert_or_ignore

DEFAULT_LEASE = timedelta(seconds=60)
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}\Z")


class KeyState(StrEnum):
    IN_FLIGHT = "in_flight"
    DONE = "done"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


def request_fingerprint(request: Mapping[str, Any]) -> str:
    """Digest of the request's JSON (JCS), so key order and whitespace do not matter."""
    return jcs_digest(dict(request))


def check_key(key: object) -> str:
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise PaymentRefused(
            PaymentProblem.IDEMPOTENCY_KEY_MISSING,
            "send an Idempotency-Key of 1-255 visible ASCII characters",
        )
    return key


def _insert(session: Session, values: dict[str, Any]) -> bool:
    """Insert unless a row exists; True if this call inserted it."""
    return insert_or_ignore(session, IdempotencyKeyRow, values)


def claim(
    session: Session,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
    *,
    lease: timedelta = DEFAULT_LEASE,
) -> StoredResponse | None:
    """Claim the key for this request. Returns the stored answer to replay, or None to proceed.

    Commit the caller's transaction right after, so concurrent duplicates see the claim.
    """
    check_key(key)
    if _insert(
        session,
        {
            "caller_id": scope,
            "idempotency_key": key,
            "request_digest": fingerprint,
            "state": KeyState.IN_FLIGHT.value,
            "response_status": None,
            "response_body": None,
            "created_at": now,
            "locked_until": now + lease,
        },
    ):
        return None
    row = session.execute(
        select(IdempotencyKeyRow)
        .where(IdempotencyKeyRow.caller_id == scope, IdempotencyKeyRow.idempotency_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if row.request_digest != fingerprint:
        raise PaymentRefused(
            PaymentProblem.IDEMPOTENCY_CONFLICT,
            "this Idempotency-Key was used with a different request",
        )
    if row.state == KeyState.DONE.value:
        if row.response_status is None or row.response_body is None:
            raise LookupError(f"idempotency key {key!r} finished without an answer")
        return StoredResponse(row.response_status, json.loads(row.response_body))
    if row.locked_until > now:
        raise PaymentRefused(
            PaymentProblem.IDEMPOTENCY_IN_FLIGHT,
            "a request with this Idempotency-Key is still being processed",
        )
    row.locked_until = now + lease  # the previous holder died; nothing of it committed
    return None


def complete(session: Session, scope: str, key: str, response: StoredResponse) -> None:
    """Store the final answer, in the transaction that commits the operation's effects."""
    row = session.get(IdempotencyKeyRow, (scope, key))
    if row is None:
        raise LookupError(f"no claim for idempotency key {key!r}")
    row.state = KeyState.DONE.value
    row.response_status = response.status
    row.response_body = json.dumps(response.body, sort_keys=True)
    session.flush()


def release(session: Session, scope: str, key: str) -> None:
    """Forget an unfinished claim so that a retry is decided afresh."""
    row = session.get(IdempotencyKeyRow, (scope, key))
    if row is not None and row.state == KeyState.IN_FLIGHT.value:
        session.delete(row)
        session.flush()
