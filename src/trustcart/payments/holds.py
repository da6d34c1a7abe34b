"""Payments held during a status outage: never paid on a cached status, never silently lost.

ACT lets a verifier use "the last good result temporarily during an outage"; DESIGN.md says
fail closed for payment. The two meet here. A status answer from the checker's cache (the
status service could not be reached, ``StatusAttestation.from_cache``) cannot show a
revocation or suspension made during the outage: a payment 0.1 s after a revocation would go
through. So the payment provider pays only on a *live* answer:

* the status service unreachable, the last answer seen Active and within its TTL (60 s), and
  every other check passed: the payment is **held**, ``503 payment-held`` with ``Retry-After``
  (``HOLD_RETRY_AFTER``). Nothing is debited, no payment, receipt, budget change or event is
  written, and the idempotency key is released, so the agent retries the *same* request under
  the *same* key: the retry is decided afresh on a live status (paid, or refused
  ``iac-revoked``), never paid twice;
* no usable status at all (none cached, past its TTL, or its signing key revoked):
  ``503 status-unavailable``, as before.

The bound is therefore zero: a cached answer is never a basis for paying, only for telling the
agent that retrying is worthwhile. The hold is logged for the operator.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from trustcart.core.clock import format_instant
from trustcart.delegation.status import StatusAttestation
from trustcart.payments.errors import PaymentProblem, PaymentRefused

log = logging.getLogger(__name__)

# When a held payment is worth retrying: short, so that an outage delays a purchase little.
HOLD_RETRY_AFTER = timedelta(seconds=5)


def held_for_status(
    status: StatusAttestation, *, delegation_id: str, now: datetime
) -> PaymentRefused:
    """The ``payment-held`` refusal for a payment that passed every check on a cached status.

    >>> from datetime import UTC, datetime
    >>> from trustcart.delegation.lifecycle import CredentialStatus
    >>> t = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    >>> cached = StatusAttestation("dlg_1", CredentialStatus.ACTIVE, t, t, "jws", from_cache=True)
    >>> held = held_for_status(cached, delegation_id="dlg_1", now=t)
    >>> held.status, held.code, held.problem.extra["retry_after"]
    (503, 'payment-held', 5)
    """
    log.warning(
        "payment held: status of %s unreachable; last Active answer checked at %s",
        delegation_id,
        format_instant(status.checked_at),
    )
    return PaymentRefused(
        PaymentProblem.PAYMENT_HELD,
        "the credential's status cannot be confirmed right now; nothing was charged: "
        "retry the same request with the same Idempotency-Key",
        retry_after=int(HOLD_RETRY_AFTER.total_seconds()),
        status_checked_at=format_instant(status.checked_at),
        checked_at=format_instant(now),
    )
