"""The witness's contract (TSD-ATT-OCA): anchors in, anchors and receipts out.

Anchors authenticate themselves (a JWS by the log, the submitter), so no route needs an
RFC 9421 signature.
"""

from __future__ import annotations

from trustcart.api.openapi.vocabulary import JWKS, JWS, JsonBody, Operation, Reply, obj

_ENTRY = obj(
    {
        "anchor": {**JWS, "description": "act-anchor+jwt, signed by the log"},
        "receipt": {**JWS, "description": "act-anchor-receipt+jwt, signed by the witness"},
        "height": {"type": "integer", "minimum": 0},
    },
    ("anchor", "receipt", "height"),
)

KEYS = Operation(
    "getWitnessKeys",
    "The witness key that signs receipts (JWKS)",
    replies=(Reply(200, "The witness's key", JWKS),),
)

SUBMIT = Operation(
    "submitAnchor",
    "Keep an anchor of the log's tree head; a duplicate anchor id returns the existing entry",
    body=JsonBody(
        obj({"anchor": {**JWS, "description": "act-anchor+jwt, compact JWS"}}, ("anchor",)),
        description="one anchor, signed by a log key the witness knows",
    ),
    replies=(
        Reply(201, "Kept: the new entry with its height and the witness's receipt", _ENTRY),
        Reply(200, "Already held with the same content (a retry): the existing entry", _ENTRY),
    ),
    problems={
        400: "invalid-request, anchor-invalid",
        401: "anchor-submitter-unknown, anchor-signature-invalid",
        409: "anchor-id-conflict (other content under this id), anchor-chain-broken",
        503: "witness-busy",
    },
)

FETCH = Operation(
    "getAnchor",
    "The entry held under an anchor id",
    replies=(Reply(200, "The anchor, its receipt and its height", _ENTRY),),
    problems={404: "anchor-not-found"},
)
