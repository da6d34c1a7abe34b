"""The contract of our UCP platform's order webhook receiver, on the trust app.

A UCP endpoint, so its refusals are UCP ``error_response`` bodies (``application/json``), not
problem+json; only what the trust app answers for every route (429 rate limit, 408 body
timeout, 500) stays problem+json. The body is UCP's order (``shopping/order.json``; the route
validates it against the pinned schema, stricter than the outline here). The rules are in
``assistant.ucp.order_events``; the codes in docs/errors.md. It is a peer protocol's route,
so ``tests/api/test_openapi_contract.py`` holds it to UCP's shapes rather than to ``Operation``.
"""

from __future__ import annotations

from typing import Any

from trustcart.api.openapi.vocabulary import (
    JSON,
    NON_EMPTY,
    RETRY_AFTER,
    Header,
    Schema,
    obj,
    problem_schema,
)
from trustcart.core.problem import PROBLEM_CONTENT_TYPE

OPERATION_ID = "receiveUcpOrderWebhook"
_VERSION: Schema = {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}
ORDER_OUTLINE: Schema = obj(
    {
        "ucp": {"type": "object"},
        "id": NON_EMPTY,
        "checkout_id": NON_EMPTY,
        "permalink_url": {"type": "string"},
        "line_items": {"type": "array", "items": {"type": "object"}},
        "fulfillment": {"type": "object"},
        "currency": {"type": "string"},
        "totals": {"type": "array", "items": {"type": "object"}},
    },
    ("ucp", "id", "checkout_id", "permalink_url", "line_items", "fulfillment", "currency",
     "totals"),
    closed=False,
)  # fmt: skip
_ACCEPTED: Schema = obj(
    {"ucp": obj({"version": _VERSION, "status": {"const": "success"}}, ("version", "status"))},
    ("ucp",),
)
_MESSAGE: Schema = obj(
    {
        "type": {"const": "error"},
        "code": NON_EMPTY,
        "content": {"type": "string"},
        "severity": {"type": "string"},
    },
    ("type", "code", "content", "severity"),
)
_REFUSED: Schema = obj(
    {
        "ucp": obj({"version": _VERSION, "status": {"const": "error"}}, ("version", "status")),
        "messages": {"type": "array", "items": _MESSAGE, "minItems": 1},
    },
    ("ucp", "messages"),
)
_HEADERS = (
    Header("UCP-Agent", 'profile="<business>/.well-known/ucp": who sends', required=True),
    Header("Webhook-Id", "the event id; the same on every retry (de-duplicated)", required=True),
    Header("Webhook-Timestamp", "unix seconds of the order change", required=True),
    Header("Idempotency-Key", "the event id again (UCP signs it)", required=True),
    Header("Content-Digest", "RFC 9530 digest of the body", required=True),
    Header("Signature-Input", "RFC 9421, UCP's profile plus webhook-id and -timestamp",
           required=True),
    Header("Signature", "ES256 by a key of the business's signing_keys", required=True),
)  # fmt: skip
_REFUSALS = {
    400: "timestamp_out_of_range, invalid_json, invalid_request (not a UCP order)",
    401: "signature_missing, signature_invalid, digest_mismatch, key_not_found, "
    "algorithm_unsupported, signature_expired, signature_replayed",
    403: "unknown_business (not a business the person added)",
    413: "body_too_large (over 1 MiB)",
}
_TRUST_APP = {408: "request-timeout", 429: "rate-limited", 500: "internal-error"}


def order_webhook_route() -> dict[str, Any]:
    """Keyword arguments for ``app.post``: summary, id, responses and the request outline."""
    responses: dict[int | str, Any] = {
        200: {
            "description": "Kept, or kept already (a redelivery or replay changes nothing)",
            "content": {JSON: {"schema": _ACCEPTED}},
        }
    }
    for status, codes in _REFUSALS.items():
        responses[status] = {"description": codes, "content": {JSON: {"schema": _REFUSED}}}
    for status, codes in _TRUST_APP.items():
        reply: Schema = {
            "description": codes,
            "content": {PROBLEM_CONTENT_TYPE: {"schema": problem_schema(status)}},
        }
        if status == 429:
            reply["headers"] = {RETRY_AFTER.name: RETRY_AFTER.response_header()}
        responses[status] = reply
    return {
        "summary": "Receive a UCP order webhook from a business the person added",
        "operation_id": OPERATION_ID,
        "responses": responses,
        "openapi_extra": {
            "parameters": [header.parameter() for header in _HEADERS],
            "requestBody": {"required": True, "content": {JSON: {"schema": ORDER_OUTLINE}}},
        },
    }
