"""Standing orders of the installation's person (Alice): create, run what is due, list.

The composition root for ``assistant.standing``: the person's ``ShoppingTools`` (the same tools
chat and MCP use), the SQL ``StandingBook`` and her records. ``standing_job`` is the periodic
job of the embedded scheduler (``local.scheduler``, ``trustcart standing run``); one pass from
cron is ``trustcart standing run --once``. Both keep all state in the database, so two runners
at once are safe (``local.standing_book``: one run per (order, period)).
"""

from __future__ import annotations

from trustcart.assistant.errors import ToolCode, ToolRefused
from trustcart.assistant.proposals import ApprovalRequest, Delegation
from trustcart.assistant.records import ShopperRecords
from trustcart.assistant.standing import StandingOrder, StandingOrders, StandingRun
from trustcart.assistant.tools import ShoppingTools
from trustcart.core.ids import new_id
from trustcart.delegation.isr import ISR
from trustcart.local import persona
from trustcart.local.scheduler import Job
from trustcart.local.standing_book import SqlStandingBook
from trustcart.store.db import Database

STANDING_EVERY = 60.0  # seconds between passes of the embedded scheduler


def standing_orders(tools: ShoppingTools, db: Database) -> StandingOrders:
    """Alice's standing orders over ``tools`` and the store ``db``."""
    return StandingOrders(
        tools,
        SqlStandingBook(db),
        owner=persona.IDENTITY,
        purchases=ShopperRecords(tools).purchases,
        new_id=new_id,
    )


def create_standing_order(
    tools: ShoppingTools, db: Database, text: str
) -> tuple[StandingOrder, Delegation]:
    """Read ``text``; the person approves in her wallet (``tools.approver``) and signs once."""

    def authorize(isr: ISR, request: ApprovalRequest) -> Delegation:
        if not tools.approver(request):
            raise ToolRefused(ToolCode.DECLINED, "the person did not approve the standing order")
        # The tools' own signing step (wallet signs the IAC, PSP binds a token, memory keeps
        # it); ShoppingTools is at its size limit, so its one private entry point is used.
        return tools._authorize(isr)

    intent_id = new_id("int")
    return standing_orders(tools, db).create(
        text,
        authorize,
        intent_id=intent_id,
        agent_id=tools.agent.agent_id,
        now=tools.clock.now(),
    )


def run_due(tools: ShoppingTools, db: Database) -> list[StandingRun]:
    """One pass: buy every standing order whose current period has not run yet."""
    return standing_orders(tools, db).run_due(tools.clock.now())


def standing_job(tools: ShoppingTools, db: Database, every: float = STANDING_EVERY) -> Job:
    """The scheduler's job for standing orders (``local.scheduler.Scheduler``)."""
    return Job("standing-orders", every, lambda: run_due(tools, db))
