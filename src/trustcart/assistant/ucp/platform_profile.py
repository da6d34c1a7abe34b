"""Our platform's UCP profile, and the RFC 9421 signer of our requests to businesses.

UCP 2026-04-08 (overview, "Profile Requirements"; signatures): a platform names its profile in
``UCP-Agent: profile="<url>"`` on every request; the business fetches it to negotiate and to
find the platform's ``signing_keys``, with which it verifies the request's signature.

* ``platform_profile`` is the document (pure), in UCP's platform shape
  (``ucp.json#/$defs/platform_schema``): the shopping service over REST, the capabilities the
  assistant uses (checkout with discount and fulfillment, order, catalog search and lookup),
  each with ``spec`` and ``schema``, the one payment handler it pays with
  (``dev.trustcart.act_token``), the order capability's ``config.webhook_url`` where the
  platform receives order webhooks (``order.json#/$defs/platform_schema``; a business sends
  none to a profile without it), and ``signing_keys``: the platform's ES256 public key (UCP
  requires ES256 of every signer), with ``kid``, ``alg`` and ``use: sig``.
* ``UcpRequestSigner`` is the ``httpx.Auth`` that signs each request in UCP's request profile
  (``crypto.httpsig.ucp.sign_request``: ``@method``, ``@authority``, ``@path``, ``UCP-Agent``,
  ``Idempotency-Key`` on writes, ``Content-Digest`` of the exact body; ``created`` and a fresh
  ``nonce``) with that key under that ``kid``, so a business verifies it with the key it just
  fetched from the profile. A POST without ``Idempotency-Key`` (the read-only catalog calls)
  gets a fresh one, since UCP's profile signs it on every state-changing method. A key that is
  not ES256 is refused when the signer is built.

>>> from trustcart.crypto.keys import SigningKey
>>> doc = platform_profile(SigningKey.generate("ES256").public.to_jwk())
>>> doc["signing_keys"][0]["alg"], sorted(doc["ucp"]["payment_handlers"])
('ES256', ['dev.trustcart.act_token'])
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Generator, Mapping
from typing import Any

import httpx

from trustcart.assistant.ucp import VERSION
from trustcart.core.clock import Clock
from trustcart.core.errors import ValidationError
from trustcart.crypto.httpsig.ucp import STATE_CHANGING, sign_request
from trustcart.crypto.keys import SigningKey

SPEC = f"https://ucp.dev/{VERSION}/specification"
SCHEMAS = f"https://ucp.dev/{VERSION}/schemas"
HANDLER = "dev.trustcart.act_token"
ORDER = "dev.ucp.shopping.order"
HANDLER_SPEC = "https://github.com/trustcart/trustcart/blob/main/docs/ucp.md"

# name -> (spec page, schema path, parent capability or capabilities)
_CAPABILITIES: dict[str, tuple[str, str, str | list[str] | None]] = {
    "dev.ucp.shopping.checkout": ("checkout", "shopping/checkout.json", None),
    "dev.ucp.shopping.discount": (
        "discount",
        "shopping/discount.json",
        ["dev.ucp.shopping.checkout", "dev.ucp.shopping.cart"],
    ),
    "dev.ucp.shopping.fulfillment": (
        "fulfillment",
        "shopping/fulfillment.json",
        "dev.ucp.shopping.checkout",
    ),
    "dev.ucp.shopping.cart": ("cart", "shopping/cart.json", None),
    ORDER: ("order", "shopping/order.json", None),
    "dev.ucp.shopping.catalog.search": ("catalog", "shopping/catalog_search.json", None),
    "dev.ucp.shopping.catalog.lookup": ("catalog", "shopping/catalog_lookup.json", None),
    # AP2 mandates on checkout: we verify merchant authorizations and send checkout mandates
    "dev.ucp.shopping.ap2_mandate": (
        "ap2-mandates",
        "shopping/ap2_mandate.json",
        "dev.ucp.shopping.checkout",
    ),
}


def _capability(page: str, schema: str, parent: str | list[str] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "version": VERSION,
        "spec": f"{SPEC}/{page}",
        "schema": f"{SCHEMAS}/{schema}",
    }
    if parent is not None:
        entry["extends"] = parent
    return entry


def platform_profile(
    signing_key: Mapping[str, str], order_webhook_url: str | None = None
) -> dict[str, Any]:
    """The platform profile document that publishes ``signing_key`` (a public ES256 JWK
    with ``kid``) and, when given, the URL that receives order webhooks."""
    capabilities = {name: [_capability(*about)] for name, about in _CAPABILITIES.items()}
    if order_webhook_url is not None:
        capabilities[ORDER][0]["config"] = {"webhook_url": order_webhook_url}
    return {
        "ucp": {
            "version": VERSION,
            "services": {
                "dev.ucp.shopping": [
                    {
                        "version": VERSION,
                        "spec": f"{SPEC}/overview",
                        "transport": "rest",
                        "schema": f"https://ucp.dev/{VERSION}/services/shopping/rest.openapi.json",
                    }
                ]
            },
            "capabilities": capabilities,
            "payment_handlers": {
                HANDLER: [
                    {
                        "id": "trustcart_token",
                        "version": VERSION,
                        "spec": HANDLER_SPEC,
                        "schema": f"{SCHEMAS}/shopping/payment.json",
                    }
                ]
            },
        },
        "signing_keys": [{**signing_key, "alg": "ES256", "use": "sig"}],
    }


class UcpRequestSigner(httpx.Auth):
    """Sign every request in UCP's RFC 9421 request profile (module doc)."""

    requires_request_body = True

    def __init__(self, key: SigningKey, clock: Clock) -> None:
        if key.alg != "ES256":
            raise ValidationError("UCP request signatures are ES256")
        self._key, self._clock = key, clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.method.upper() in STATE_CHANGING and "idempotency-key" not in request.headers:
            # UCP signs Idempotency-Key on every POST; a catalog POST (read-only) gets a fresh one.
            request.headers["Idempotency-Key"] = str(uuid.uuid4())
        headers = dict(request.headers.items())
        added = sign_request(
            request.method,
            str(request.url),
            headers,
            request.content,
            self._key,
            self._key.kid,
            self._clock.now(),
            nonce=secrets.token_urlsafe(16),
        )
        request.headers.update(added)
        yield request
