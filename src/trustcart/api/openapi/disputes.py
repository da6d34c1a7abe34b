"""The PSP's dispute routes' contract (TSD-ATT-DSP, docs/disputes.md "Over HTTP").

Every route is RFC 9421-signed by the caller's own key in the key directory: the person's
wallet key (role ``delegator``) or the paid merchant's key (role ``merchant``). The dispute
object is the one ``trustcart disputes show --json`` prints (``disputes.records.view``).
Which status each ``DisputeProblem`` has comes from the error classes, so the documented
statuses follow the code.
"""

from __future__ import annotations

from trustcart.api.openapi.vocabulary import (
    INSTANT,
    MONEY,
    NON_EMPTY,
    JsonBody,
    Operation,
    Reply,
    Schema,
    link,
    nullable,
    obj,
)
from trustcart.disputes.errors import DisputeProblem
from trustcart.disputes.lifecycle import DisputeState
from trustcart.disputes.records import MAX_REASON, OpenerRole
from trustcart.disputes.rules import Outcome, ReasonCode

_D = DisputeProblem
REASON: Schema = {"type": "string", "minLength": 1, "maxLength": MAX_REASON}

DECISION: Schema = obj(
    {
        "decision_id": NON_EMPTY,
        "outcome": {"type": "string", "enum": [o.value for o in Outcome]},
        "reason_code": {"type": "string", "enum": [r.value for r in ReasonCode]},
        "refund": {**nullable(MONEY), "description": "what the decision refunded, or null"},
        "evidence": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the evidence items it rests on: cart:, receipt:, record:, check:",
        },
        "detail": {"type": "string"},
    },
    ("decision_id", "outcome", "reason_code", "evidence"),
    closed=False,
)

DISPUTE: Schema = obj(
    {
        "dispute_id": NON_EMPTY,
        "out_trade_no": NON_EMPTY,
        "trade_no": NON_EMPTY,
        "merchant_id": NON_EMPTY,
        "opened_by": NON_EMPTY,
        "opener_role": {"type": "string", "enum": [r.value for r in OpenerRole]},
        "reason": {"type": "string"},
        "state": {"type": "string", "enum": [s.value for s in DisputeState]},
        "decision_id": nullable({"type": "string"}),
        "decision": nullable(DECISION),
        "appeal_reason": nullable({"type": "string"}),
        "created_at": INSTANT,
        "updated_at": INSTANT,
    },
    ("dispute_id", "out_trade_no", "trade_no", "merchant_id", "state", "created_at"),
    closed=False,
)

_FORBIDDEN = {403: f"{_D.FORBIDDEN} (the signer is neither a person nor a merchant)"}
_LINKS = {
    "show": link("getDispute", "the dispute as it stands", dispute_id="$response.body#/dispute_id"),
    "appeal": link(
        "appealDispute", "contest the decision", dispute_id="$response.body#/dispute_id"
    ),
}

OPEN_DISPUTE = Operation(
    "openDispute",
    "Open a dispute on a paid order (the payer or the paid merchant); it is decided from "
    "the evidence at once",
    body=JsonBody(
        obj({"out_trade_no": NON_EMPTY, "reason": REASON}, ("out_trade_no", "reason")),
        description="the order (the merchant's order number) and the claim, in a sentence",
        refusal=_D.REQUEST_INVALID,
    ),
    signed=True,
    replies=(Reply(201, "Opened and decided (or sent to review)", DISPUTE, links=_LINKS),),
    problems={
        400: f"{_D.REQUEST_INVALID}",
        403: f"{_D.FORBIDDEN} (not the payer's or the paid merchant's order)",
        404: f"{_D.ORDER_NOT_PAID}",
        409: f"{_D.ALREADY_OPEN} (the problem's dispute_id names it: show or appeal it)",
    },
)

LIST_DISPUTES = Operation(
    "listDisputes",
    "The caller's disputes, newest first (the person's or the merchant's, nobody else's)",
    signed=True,
    replies=(
        Reply(
            200,
            "The caller's disputes",
            obj({"disputes": {"type": "array", "items": DISPUTE}}, ("disputes",)),
        ),
    ),
    problems={400: "invalid-request (this endpoint takes no body)", **_FORBIDDEN},
)

GET_DISPUTE = Operation(
    "getDispute",
    "One dispute: its state, decision, refund and the evidence it rests on",
    signed=True,
    replies=(Reply(200, "The dispute", DISPUTE),),
    problems={
        400: "invalid-request (this endpoint takes no body)",
        **_FORBIDDEN,
        404: f"{_D.NOT_FOUND} (no such dispute, or not the caller's)",
    },
)

APPEAL_DISPUTE = Operation(
    "appealDispute",
    "Contest a decision: the dispute goes to human review (appealed)",
    body=JsonBody(
        obj({"reason": REASON}, ("reason",)),
        description="why the decision is wrong, in a sentence",
        refusal=_D.REQUEST_INVALID,
    ),
    signed=True,
    replies=(Reply(200, "Appealed", DISPUTE),),
    problems={
        400: f"{_D.REQUEST_INVALID}",
        **_FORBIDDEN,
        404: f"{_D.NOT_FOUND} (no such dispute, or not the caller's)",
        409: f"{_D.ILLEGAL_TRANSITION} (only a decided dispute can be appealed)",
    },
)
