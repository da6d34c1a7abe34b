"""Payment notices to merchants (ACT S1 step 8: "PSP -> Merchant: notice").

The notice is written to an outbox row in the payment's own transaction and delivered after
commit through a ``MerchantNotifier``. A failed delivery leaves the row pending and is retried
(``PaymentProvider.deliver_pending_notices``); the merchant must treat notices idempotently by
``trade_no``. The notice carries the PSP-signed receipt, so the merchant trusts the receipt's
signature, not the transport.

Two notifiers: ``RecordingNotifier`` (in process, for tests and the one-process demo) and
``HttpMerchantNotifier``, which POSTs JSON to the merchant's ``/payment-notifications`` with an
``httpx.Auth`` that signs the request as the PSP (RFC 9421).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx
from sqlalchemy import select

from trustcart.core.clock import Clock
from trustcart.payments.errors import NotificationFailed
from trustcart.store.db import Database
from trustcart.store.payments import NoticeOutboxRow


class MerchantNotifier(Protocol):
    def notify(self, merchant_id: str, notice: Mapping[str, Any]) -> None:
        """Deliver one notice or raise ``NotificationFailed``."""
        ...


class RecordingNotifier:
    """Keeps delivered notices in memory; ``fail`` makes deliveries fail (outage drills)."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, dict[str, Any]]] = []
        self.fail = False

    def notify(self, merchant_id: str, notice: Mapping[str, Any]) -> None:
        if self.fail:
            raise NotificationFailed(f"merchant {merchant_id} unreachable")
        self.delivered.append((merchant_id, dict(notice)))


class HttpMerchantNotifier:
    """POSTs the notice to the URL ``endpoint_for(merchant_id)`` returns, signed by ``auth``."""

    def __init__(
        self,
        client: httpx.Client,
        endpoint_for: Callable[[str], str | None],
        auth: httpx.Auth,
    ) -> None:
        self._client = client
        self._endpoint_for = endpoint_for
        self._auth = auth

    def notify(self, merchant_id: str, notice: Mapping[str, Any]) -> None:
        url = self._endpoint_for(merchant_id)
        if url is None:
            raise NotificationFailed(f"no notification endpoint for {merchant_id}")
        body = json.dumps(dict(notice), separators=(",", ":")).encode("utf-8")
        try:
            response = self._client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json"},
                auth=self._auth,
                timeout=5.0,
            )
        except httpx.HTTPError as e:
            raise NotificationFailed(f"notice to {merchant_id} failed: {e!r}") from e
        if response.status_code >= 300:
            raise NotificationFailed(f"merchant {merchant_id} answered {response.status_code}")


def deliver_pending(
    db: Database,
    notifier: MerchantNotifier,
    clock: Clock,
    *,
    trade_no: str | None = None,
    limit: int = 100,
) -> int:
    """Try undelivered outbox notices (all, or one payment's); return how many were delivered.

    Each attempt is recorded in its own short transaction; delivery itself runs outside any
    transaction so a slow merchant never holds a database lock.
    """
    with db.transaction() as session:
        statement = select(NoticeOutboxRow).where(NoticeOutboxRow.delivered_at.is_(None))
        if trade_no is not None:
            statement = statement.where(NoticeOutboxRow.trade_no == trade_no)
        pending = [
            (row.notice_id, row.merchant_id, json.loads(row.payload))
            for row in session.execute(
                statement.order_by(NoticeOutboxRow.created_at).limit(limit)
            ).scalars()
        ]
    delivered = 0
    for notice_id, merchant_id, payload in pending:
        error: str | None = None
        try:
            notifier.notify(merchant_id, payload)
        except NotificationFailed as e:
            error = str(e)[:500]
        with db.transaction() as session:
            row = session.get(NoticeOutboxRow, notice_id)
            if row is None:  # pragma: no cover - outbox rows are never deleted
                continue
            row.attempts += 1
            row.last_error = error
            if error is None:
                row.delivered_at = clock.now()
                delivered += 1
    return delivered
