"""``PaymentOutcome`` and ``run_idempotently``: an answer decided once per idempotency key.

Every payment and refund request goes through ``run_idempotently`` (the rules are
``idempotency``'s, Stripe's model): the key is claimed in its own short transaction; a finished
key replays its stored answer (``replayed=True``); a conflict or a key still in flight is
answered at once and stores nothing. The operation itself must ``complete`` the key in the same
transaction as its effects. A refusal it raises becomes the outcome: a 4xx refusal is stored
and replayed like a success (the request was decided), a 5xx one (status service unreachable)
releases the key so that a retry decides afresh, and any other exception releases the key and
propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.core.clock import Clock
from trustcart.payments import idempotency
from trustcart.payments.errors import PaymentRefused
from trustcart.store.db import Database

# The operation, given the idempotency scope and the instant of the request.
Operation = Callable[[str, datetime], "PaymentOutcome"]


@dataclass(frozen=True)
class PaymentOutcome:
    """The answer to a payment or refund request, as stored for idempotent replay."""

    status: int
    body: dict[str, Any]
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.status < 300

    @property
    def code(self) -> str | None:
        return None if self.ok else str(self.body.get("code"))


def run_idempotently(
    db: Database,
    clock: Clock,
    scope: str,
    key: str,
    *,
    request: Mapping[str, Any],
    operation: Operation,
) -> PaymentOutcome:
    """Run ``operation`` once for (scope, key) and this request; replay its answer after."""
    now = clock.now()
    fingerprint = idempotency.request_fingerprint(request)
    try:
        with db.transaction() as session:
            stored = idempotency.claim(session, scope, key, fingerprint, now)
    except PaymentRefused as e:  # conflict or in flight: decided nothing, store nothing
        return PaymentOutcome(e.status, e.problem.to_json())
    if stored is not None:
        return PaymentOutcome(stored.status, stored.body, replayed=True)
    try:
        outcome: PaymentOutcome = operation(scope, now)
    except PaymentRefused as e:
        refusal = PaymentOutcome(e.status, e.problem.to_json())
        with db.transaction() as session:
            if e.status >= 500:  # transient (status service down): let a retry decide
                idempotency.release(session, scope, key)
            else:
                idempotency.complete(
                    session,
                    scope,
                    key,
                    idempotency.StoredResponse(refusal.status, refusal.body),
                )
        return refusal
    except BaseException:
        with db.transaction() as session:
            idempotency.release(session, scope, key)
        raise
    return outcome
