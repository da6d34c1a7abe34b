"""The seller's payment query to the PSP over HTTP: ``GET /payments/{trade_no}``, signed.

``HttpPaymentLookup`` is the ``PaymentLookup`` a seller uses when the PSP is another service:
its ``httpx.Client`` signs as the merchant (RFC 9421, ``AgentRequestSigner`` with the merchant's
key), and the PSP shows a payment only to its agent or its merchant. Anything but ``200`` with
a JSON object raises ``PaymentUnconfirmed``, which the seller treats as "not confirmed" (fail
closed: no delivery).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from trustcart.core.errors import TrustcartError


class PaymentUnconfirmed(TrustcartError):
    """The PSP did not confirm the payment (unknown to it, another's, or unreachable)."""


class HttpPaymentLookup:
    """``payment_status`` over the PSP's HTTP API (the client signs as the merchant)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def payment_status(self, trade_no: str, *, requester_id: str) -> dict[str, Any]:
        """The PSP's view of ``trade_no`` as ``requester_id`` (whose key signs the client)."""
        try:
            response = self._client.get(f"/payments/{quote(trade_no, safe='')}")
            answer = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as e:
            raise PaymentUnconfirmed("the PSP could not be asked") from e
        if not isinstance(answer, dict) or answer.get("merchant_id") != requester_id:
            raise PaymentUnconfirmed(f"the PSP does not confirm {trade_no}")
        return answer
