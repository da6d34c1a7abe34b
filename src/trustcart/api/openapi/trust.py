"""The trust service's contract (TSD-ATT): records in, tree heads and proofs out.

Records authenticate themselves (a JWS by their initiator), so no route needs an RFC 9421
signature; every route is rate-limited per client (429 ``rate-limited`` with ``Retry-After``).
"""

from __future__ import annotations

from trustcart.api.openapi.vocabulary import (
    JWKS,
    JWS,
    NON_EMPTY,
    JsonBody,
    Operation,
    Reply,
    link,
    obj,
)

_HASHES = {
    "type": "array",
    "description": "the proof's node hashes, base64url without padding, leaf side first",
    "items": {"type": "string", "pattern": "^[A-Za-z0-9_-]*$"},
}
_PROOF = obj({"proof": _HASHES}, ("proof",))
_BAD_RANGE = "invalid-request (a size or index that is not an integer, or out of range)"

KEYS = Operation(
    "getLogKeys",
    "The log key that signs tree heads (JWKS)",
    replies=(Reply(200, "The log's key", JWKS),),
    rate_limited=True,
)

APPEND = Operation(
    "appendRecord",
    "Append an attestation record signed by its initiator",
    body=JsonBody(
        obj(
            {"record": {"type": "string", "description": "act-attestation+jwt, compact JWS"}},
            ("record",),
            closed=False,
        ),
        description="one record; the log admits it only from the party its role and chain name",
    ),
    replies=(
        Reply(
            201,
            "Appended",
            obj(
                {"leaf_index": {"type": "integer", "minimum": 0}, "record_id": NON_EMPTY},
                ("leaf_index", "record_id"),
            ),
            links={
                "inclusion": link(
                    "getInclusionProof",
                    "the new leaf's inclusion proof",
                    leaf_index="$response.body#/leaf_index",
                ),
            },
        ),
        Reply(
            200,
            "Already in the log (a sender's retry): the entry as it stands, nothing appended",
            obj(
                {
                    "leaf_index": {"type": "integer", "minimum": 0},
                    "record_id": NON_EMPTY,
                    "duplicate": {"const": True},
                },
                ("leaf_index", "record_id", "duplicate"),
            ),
        ),
    ),
    problems={
        400: "invalid-request ('record' is not a string)",
        401: "signature-invalid (the record does not verify against a registered key)",
        403: "record-role-not-allowed, record-party-mismatch",
        409: "idempotency-conflict (the record is already logged), record-chain-unknown, "
        "record-chain-mismatch",
        422: "record-chain-ids, record-time-skew",
    },
    rate_limited=True,
)

TREE_HEAD = Operation(
    "getTreeHead",
    "The newest signed tree head (act-sth+jwt); a read that writes nothing",
    replies=(Reply(200, "The newest signed tree head", obj({"tree_head": JWS}, ("tree_head",))),),
    rate_limited=True,
)

INCLUSION = Operation(
    "getInclusionProof",
    "The inclusion proof of leaf ``leaf_index`` in the tree of size ``tree_size``",
    replies=(Reply(200, "The audit path (RFC 9162)", _PROOF),),
    problems={400: _BAD_RANGE},
    rate_limited=True,
)

CONSISTENCY = Operation(
    "getConsistencyProof",
    "The consistency proof between two tree sizes",
    replies=(Reply(200, "The consistency proof (RFC 9162)", _PROOF),),
    problems={400: _BAD_RANGE},
    rate_limited=True,
)

EVENTS = Operation(
    "listEvents",
    "The logged events of one intent, delegation or order",
    replies=(
        Reply(
            200,
            "The events in log order",
            obj(
                {
                    "events": {
                        "type": "array",
                        "items": obj(
                            {
                                "record": JWS,
                                "leaf_index": {"type": "integer", "minimum": 0},
                                "event_type": NON_EMPTY,
                            },
                            ("record", "leaf_index", "event_type"),
                        ),
                    }
                },
                ("events",),
            ),
        ),
    ),
    problems={400: "invalid-request (none of the three filters given)"},
    rate_limited=True,
)
