"""The business profile served at ``/.well-known/ucp`` and the ``ucp`` block of responses (pure).

One profile for the whole marketplace (one host; a checkout belongs to the merchant of its
items). It names the shopping service over REST, the capabilities with their versions (checkout
with the discount, fulfillment and AP2 mandate extensions, cart, order, catalog search and
lookup), the one payment handler (``dev.trustcart.act_token``: a trustcart restricted payment
token, settled by the trustcart payment provider) and ``signing_keys``: the public JWKs of every
merchant, the keys that sign each merchant's ACT carts, after the business's ES256 key that
signs its responses.

>>> p = business_profile("http://127.0.0.1:8706", [])
>>> sorted(p["ucp"]["capabilities"])[:3]
['dev.ucp.shopping.ap2_mandate', 'dev.ucp.shopping.cart', 'dev.ucp.shopping.catalog.lookup']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trustcart.commerce.ucp import VERSION

SPEC = "https://ucp.dev/2026-04-08/specification"
SCHEMAS = "https://ucp.dev/2026-04-08/schemas"
CHECKOUT = "dev.ucp.shopping.checkout"
HANDLER_NAME = "dev.trustcart.act_token"
HANDLER_ID = "trustcart_token"
INSTRUMENT_TYPE = "act_token"
ACT_FIELD = "act"  # the checkout extension field that carries an ACT IAC: {"act": {"iac": JWS}}

CART = "dev.ucp.shopping.cart"
AP2_MANDATE = "dev.ucp.shopping.ap2_mandate"  # AP2 mandates on checkout (commerce.ucp.ap2)
# the extension's business config: mandates are SD-JWTs (AP2 v0.2's dc+sd-jwt)
AP2_CONFIG: dict[str, Any] = {"vp_formats_supported": {"dc+sd-jwt": {}}}

# name -> (spec page, schema path, parent capability or capabilities)
CAPABILITIES: dict[str, tuple[str, str, str | list[str] | None]] = {
    CHECKOUT: ("checkout", "shopping/checkout.json", None),
    CART: ("cart", "shopping/cart.json", None),
    "dev.ucp.shopping.discount": ("discount", "shopping/discount.json", [CHECKOUT, CART]),
    "dev.ucp.shopping.fulfillment": ("fulfillment", "shopping/fulfillment.json", CHECKOUT),
    "dev.ucp.shopping.order": ("order", "shopping/order.json", None),
    "dev.ucp.shopping.catalog.search": ("catalog", "shopping/catalog_search.json", None),
    "dev.ucp.shopping.catalog.lookup": ("catalog", "shopping/catalog_lookup.json", None),
    AP2_MANDATE: ("ap2-mandates", "shopping/ap2_mandate.json", CHECKOUT),
}
CHECKOUT_CAPABILITIES = (
    CHECKOUT,
    "dev.ucp.shopping.discount",
    "dev.ucp.shopping.fulfillment",
    AP2_MANDATE,
)
CART_CAPABILITIES = (CART, "dev.ucp.shopping.discount")


def _capability(name: str, *, full: bool) -> dict[str, Any]:
    page, schema, parent = CAPABILITIES[name]
    entry: dict[str, Any] = {"version": VERSION}
    if full:
        entry.update(spec=f"{SPEC}/{page}", schema=f"{SCHEMAS}/{schema}")
        if name == AP2_MANDATE:
            entry["config"] = AP2_CONFIG
    if parent is not None:
        entry["extends"] = parent
    return entry


def payment_handlers(*, full: bool) -> dict[str, list[dict[str, Any]]]:
    handler: dict[str, Any] = {"id": HANDLER_ID, "version": VERSION}
    if full:
        handler.update(
            spec="https://github.com/trustcart/trustcart/blob/main/docs/ucp.md",
            available_instruments=[{"type": INSTRUMENT_TYPE}],
        )
    return {HANDLER_NAME: [handler]}


def business_profile(base_url: str, signing_keys: Iterable[dict[str, str]]) -> dict[str, Any]:
    """The ``/.well-known/ucp`` document of the marketplace at ``base_url``.

    ``signing_keys`` are public JWKs with ``kid`` and ``alg``: first the business's ES256 key
    (it signs the responses, ``api.ucp_signing``), then the merchants' Ed25519 ACT cart keys.
    """
    return {
        "ucp": {
            "version": VERSION,
            "services": {
                "dev.ucp.shopping": [
                    {
                        "version": VERSION,
                        "spec": f"{SPEC}/overview",
                        "transport": "rest",
                        "endpoint": base_url,
                        "schema": "https://ucp.dev/2026-04-08/services/shopping/rest.openapi.json",
                    }
                ]
            },
            "capabilities": {name: [_capability(name, full=True)] for name in CAPABILITIES},
            "payment_handlers": payment_handlers(full=True),
        },
        "signing_keys": [dict(key, use="sig") for key in signing_keys],
    }


def response_meta(capabilities: Iterable[str], *, checkout: bool = False) -> dict[str, Any]:
    """The ``ucp`` block of a success response: the capabilities active for it."""
    meta: dict[str, Any] = {
        "version": VERSION,
        "status": "success",
        "capabilities": {name: [_capability(name, full=False)] for name in capabilities},
    }
    if checkout:
        meta["payment_handlers"] = payment_handlers(full=False)
    return meta
