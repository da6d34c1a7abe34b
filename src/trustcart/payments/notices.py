"""Payment notices to merchants (ACT S1 step 8: "PSP -> Merchant: notice").

The notice is staged in the outbox (``trustcart.delivery``) in the payment's own transaction and
delivered after commit by the relay through a ``NoticeTransport`` over a ``MerchantNotifier``.
A failed delivery leaves the message pending and the relay tries it again with backoff, for as
long as it takes: the payment stands, so the merchant must learn of it. The merchant treats
notices idempotently by ``trade_no`` (the same notice again answers the order unchanged). The
notice carries the PSP-signed receipt, so the merchant trusts the receipt's signature, not the
transport.

Two notifiers: ``RecordingNotifier`` (in process, for tests and the one-process demo) and
``HttpMerchantNotifier``, which POSTs JSON to the merchant's ``/payment-notifications`` with an
``httpx.Auth`` that signs the request as the PSP (RFC 9421).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx

from trustcart.delivery.messages import OutboxMessage, Outcome
from trustcart.payments.errors import NotificationFailed


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


class NoticeTransport:
    """Carries outbox notices through a ``MerchantNotifier`` (a ``delivery`` transport).

    Every failure is retried: a refused notice is still a payment the merchant must hear of,
    so it stays visible as pending (``trustcart relay --status``) rather than dropped.
    """

    def __init__(self, notifier: MerchantNotifier) -> None:
        self._notifier = notifier

    def deliver(self, message: OutboxMessage) -> Outcome:
        try:
            self._notifier.notify(message.destination, json.loads(message.payload))
        except NotificationFailed as e:
            return Outcome.retry(str(e))
        return Outcome.delivered()
