"""The status service's contract (ADD-IAC-LCM): registration, signed status, transitions.

Transition requests and IACs authenticate themselves (JWS), so no route needs an RFC 9421
signature. Registration does not refuse unknown fields (a registration may carry more than
trustcart reads); the rest of each body is as the service parses it.
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

_STATUS_NAMES = {"type": "string", "enum": ["Active", "Suspended", "Revoked", "Expired"]}
_TOKEN = {**NON_EMPTY, "description": "a compact JWS"}

KEYS = Operation(
    "getStatusKeys",
    "The status-signing key (JWKS)",
    replies=(Reply(200, "The key that signs status attestations", JWKS),),
)

REGISTER = Operation(
    "registerDelegation",
    "Register an IAC signed by the delegator; it starts Active",
    body=JsonBody(
        obj(
            {
                "iac": {**_TOKEN, "description": "the IAC (typ act-iac+jwt), compact JWS"},
                "proof": {
                    **_TOKEN,
                    "description": "proof of possession (typ act-iac-registration+jwt) by the "
                    "IAC's key over {delegation_id, iac_digest, requested_at, nonce}",
                },
            },
            ("iac", "proof"),
        ),
        description="the credential and a fresh, single-use proof by the key that signed it",
    ),
    replies=(
        Reply(
            201,
            "Registered and Active",
            obj(
                {"delegation_id": NON_EMPTY, "status": {"const": "Active"}},
                ("delegation_id", "status"),
                closed=False,
            ),
            links={
                "status": link(
                    "getDelegationStatus",
                    "the new credential's signed status",
                    delegation_id="$response.body#/delegation_id",
                ),
                "transition": link(
                    "transitionDelegation",
                    "suspend, resume or revoke the new credential",
                    delegation_id="$response.body#/delegation_id",
                ),
            },
        ),
    ),
    problems={
        400: "iac-invalid (the IAC does not verify, is malformed or names another delegator)",
        401: "not-authorized (the proof of possession is missing, stale, reused or for "
        "another IAC)",
        403: "delegator-key-unknown (the IAC's key is not a delegator key of its delegator in "
        "the key directory)",
        409: "iac-invalid (that delegation_id is already registered)",
    },
)

STATUS = Operation(
    "getDelegationStatus",
    "The credential's current status, signed (act-iac-status+jwt)",
    replies=(Reply(200, "A fresh signed status", obj({"status": JWS}, ("status",))),),
    problems={404: "unknown-delegation"},
)

TRANSITION = Operation(
    "transitionDelegation",
    "Apply a lifecycle request signed by the delegator (or the agent, to revoke)",
    body=JsonBody(
        obj(
            {"request": {**_TOKEN, "description": "act-iac-transition+jwt, compact JWS"}},
            ("request",),
            closed=False,
        ),
        description="the signed transition request; its delegation_id must be the URL's",
    ),
    replies=(
        Reply(
            200,
            "The transition was applied",
            obj(
                {"delegation_id": NON_EMPTY, "from": _STATUS_NAMES, "to": _STATUS_NAMES},
                ("delegation_id", "from", "to"),
            ),
        ),
    ),
    problems={
        400: "invalid-request (not a JWS, or its delegation_id is not the URL's)",
        401: "not-authorized (not signed by the delegator or the agent, stale, or reused)",
        404: "unknown-delegation",
        409: "illegal-transition",
    },
)
