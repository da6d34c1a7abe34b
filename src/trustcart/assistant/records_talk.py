"""The person's records in a conversation: "my orders", "我的订单", "撤销授权" and the like.

``answer_about_records`` answers the four record follow-ups (``followups``) from
``records.ShopperRecords``, in the person's language, whatever the conversation's state:

    orders        every order the agent paid, with the merchant's status
    order-status  the last order and its status from the merchant
    delegations   every credential the person signed: spent and remaining (from the PSP's
                  signed receipts), status (from the status service), validity
    revoke        the delegation named ("revoke dlg_..."), else the conversation's standing
                  order if still active, else the newest active standing order; the wallet
                  signs the revocation
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.followups import FollowUp, FollowUpKind
from trustcart.assistant.records import ShopperRecords
from trustcart.assistant.refusal_words import refusal_sentence
from trustcart.assistant.replies import delegations_text, order_status_text, orders_text, say


@dataclass
class RecordsAnswer:
    message: str
    orders: list[dict[str, Any]] = field(default_factory=list)
    delegations: list[dict[str, Any]] = field(default_factory=list)
    revoked: str | None = None
    refusal: ToolRefused | None = None


def answer_about_records(
    records: ShopperRecords, followup: FollowUp, language: str, standing: str | None
) -> RecordsAnswer:
    """The answer to a record follow-up; ``standing`` is the conversation's standing order."""
    if followup.kind is FollowUpKind.ORDERS:
        orders = records.orders(language)
        return RecordsAnswer(orders_text(orders, language), orders=orders)
    if followup.kind is FollowUpKind.ORDER_STATUS:
        orders = records.orders(language)
        return RecordsAnswer(order_status_text(orders, language), orders=orders[-1:])
    if followup.kind is FollowUpKind.DELEGATIONS:
        delegations = records.delegations()
        return RecordsAnswer(delegations_text(delegations, language), delegations=delegations)
    tools, target = records.tools, followup.target
    chosen = (
        next((d for d in tools.all_delegations() if d.iac.delegation_id == target), None)
        if target
        else records.active_standing(standing)
    )
    if chosen is None:
        return RecordsAnswer(say("nothing-to-revoke", language))
    delegation_id = chosen.iac.delegation_id
    try:
        tools.revoke(delegation_id)
    except ToolRefused as refusal:
        why = refusal_sentence(refusal.code, refusal.reasons, language)
        return RecordsAnswer(say("revoke-failed", language, why=why), refusal=refusal)
    message = say("revoked", language, delegation=delegation_id, intent=chosen.isr.user_intent_raw)
    return RecordsAnswer(message, revoked=delegation_id)
