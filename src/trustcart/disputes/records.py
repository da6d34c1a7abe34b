"""Who opens a dispute, and the dispute as the shells show it (value objects, pure).

``Opener`` is the party asking: ``person`` (the delegator whose wallet paid, by their
delegator identity) or ``merchant`` (the paid merchant, by merchant id). ``DisputeView`` is the
JSON every shell prints (CLI ``--json``, HTTP, the web page)::

    {"dispute_id": "dsp_...", "out_trade_no": "ord_...", "trade_no": "trd_...",
     "merchant_id": "m_...", "opened_by": "user:alice", "opener_role": "person",
     "reason": "...", "state": "decided", "decision_id": "dec_...",
     "decision": {"outcome": "declined", "reason_code": "delivered-as-confirmed",
                  "refund": null, "evidence": ["cart:...", "receipt:trd_...", "record:att_..."],
                  "detail": "..."},
     "created_at": "...Z", "updated_at": "...Z"}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from trustcart.core.clock import format_instant
from trustcart.disputes.errors import DisputeError, DisputeProblem
from trustcart.store.disputes import DisputeRow

MAX_REASON = 500


class OpenerRole(StrEnum):
    PERSON = "person"
    MERCHANT = "merchant"


@dataclass(frozen=True)
class Opener:
    """The party opening a dispute; checked against the payment when the dispute is opened.

    >>> Opener(OpenerRole.MERCHANT, "m_tea").role.value
    'merchant'
    """

    role: OpenerRole
    party_id: str

    def __post_init__(self) -> None:
        if not isinstance(self.role, OpenerRole):
            raise DisputeError(DisputeProblem.REQUEST_INVALID, "unknown opener role")
        if not isinstance(self.party_id, str) or not self.party_id.strip():
            raise DisputeError(DisputeProblem.REQUEST_INVALID, "the opener needs an id")


def check_reason(reason: Any) -> str:
    """A claim's reason: non-empty text of at most ``MAX_REASON`` characters."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise DisputeError(
            DisputeProblem.REQUEST_INVALID, f"a reason of 1 to {MAX_REASON} characters is required"
        )
    return reason.strip()


def view(row: DisputeRow) -> dict[str, Any]:
    """The dispute's JSON (module docstring)."""
    return {
        "dispute_id": row.dispute_id,
        "out_trade_no": row.out_trade_no,
        "trade_no": row.trade_no,
        "merchant_id": row.merchant_id,
        "opened_by": row.opened_by,
        "opener_role": row.opener_role,
        "reason": row.reason,
        "state": row.state,
        "decision_id": row.decision_id,
        "decision": json.loads(row.decision) if row.decision else None,
        "appeal_reason": row.appeal_reason,
        "created_at": format_instant(row.created_at),
        "updated_at": format_instant(row.updated_at),
    }
