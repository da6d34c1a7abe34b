"""Idempotency keys of the checkout protocols: a retry gets the first answer, never a second
session or a second charge.

One row per (scope, key), where the scope names the protocol, the authenticated caller and the
endpoint (``acp:<platform>:POST /checkout_sessions``: ACP scopes keys to identity + endpoint
path). The decision, ``claim``, runs in its own short transaction so that a concurrent duplicate
sees it:

* no row, or a finished row older than ``retention`` (ACP: at least 24 hours): proceed;
* same body fingerprint, finished: ``REPLAY`` the stored status and body;
* same key, another body: ``CONFLICT`` (ACP answers 422, UCP 409: the codec decides);
* same key while the first is still running (its lease has not run out): ``IN_FLIGHT``.

``finish`` stores a final answer; a 5xx answer is never stored (``release``), so a retry after a
server error is a fresh request. A lease that ran out (its process died) is taken over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustcart.core.clock import format_instant, parse_instant
from trustcart.store.checkout import CheckoutIdempotencyRow
from trustcart.store.upsert import insert_or_ignore

LEASE = timedelta(seconds=60)
RETENTION = timedelta(hours=24)


class Decision(StrEnum):
    PROCEED = "proceed"
    REPLAY = "replay"
    CONFLICT = "conflict"
    IN_FLIGHT = "in-flight"


@dataclass(frozen=True)
class Claim:
    decision: Decision
    status: int | None = None
    body: Any = None


def claim(
    db: Session,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
    *,
    lease: timedelta = LEASE,
    retention: timedelta = RETENTION,
) -> Claim:
    """Decide what to do with this request (see module doc); commit right after."""
    values = {
        "scope": scope,
        "idempotency_key": key,
        "fingerprint": fingerprint,
        "state": "in_flight",
        "response_status": None,
        "response_body": None,
        "created_at": format_instant(now),
        "locked_until": format_instant(now + lease),
    }
    if insert_or_ignore(db, CheckoutIdempotencyRow, values):
        return Claim(Decision.PROCEED)
    row = db.execute(
        select(CheckoutIdempotencyRow)
        .where(
            CheckoutIdempotencyRow.scope == scope,
            CheckoutIdempotencyRow.idempotency_key == key,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if row.state == "done" and parse_instant(row.created_at) + retention <= now:
        for name, value in values.items():  # retention ran out: a new request
            setattr(row, name, value)
        return Claim(Decision.PROCEED)
    if row.fingerprint != fingerprint:
        return Claim(Decision.CONFLICT)
    if row.state == "done" and row.response_status is not None and row.response_body is not None:
        return Claim(Decision.REPLAY, row.response_status, json.loads(row.response_body))
    if parse_instant(row.locked_until) > now:
        return Claim(Decision.IN_FLIGHT)
    row.locked_until = format_instant(now + lease)  # the first holder died; take it over
    return Claim(Decision.PROCEED)


def finish(db: Session, scope: str, key: str, status: int, body: Any) -> None:
    """Store the final answer (a 5xx is released instead: never cached)."""
    row = db.get(CheckoutIdempotencyRow, (scope, key))
    if row is None:
        return
    if status >= 500:
        db.delete(row)
        return
    row.state = "done"
    row.response_status = status
    row.response_body = json.dumps(body, sort_keys=True)


def release(db: Session, scope: str, key: str) -> None:
    """Forget an unfinished claim so that a retry is decided afresh."""
    row = db.get(CheckoutIdempotencyRow, (scope, key))
    if row is not None and row.state != "done":
        db.delete(row)
