"""Standing orders of the installation's person (Alice): create, run what is due, list.

The composition root for ``assistant.standing``: the person's ``ShoppingTools`` (the same tools
chat and MCP use), the SQL ``StandingBook`` and her records. ``standing_job`` is the periodic
job of the embedded scheduler (``local.scheduler``); ``standing_scheduler`` runs it beside the
servers of ``trustcart serve`` and ``trustcart chat`` (every ``--standing-every`` seconds, on
its own thread so a slow purchase never holds up the outbox relay), ``trustcart standing run``
alone; one pass from cron is ``trustcart standing run --once``. All keep all state in the
database, so any number of runners at once are safe (``local.standing_book``: one run per
(order, period)). ``recurring_chat`` gives a conversation the same orders
(``assistant.recurring_chat``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from trustcart.assistant.proposals import Delegation
from trustcart.assistant.records import ShopperRecords
from trustcart.assistant.recurring_chat import RecurringChat, signed_in_wallet
from trustcart.assistant.standing import StandingOrder, StandingOrders, StandingRun
from trustcart.assistant.tools import ShoppingTools
from trustcart.core.ids import new_id
from trustcart.local import persona
from trustcart.local.deployment import Deployment
from trustcart.local.market import Clients, tools_for
from trustcart.local.scheduler import Job, Scheduler
from trustcart.local.standing_book import SqlStandingBook
from trustcart.store.db import Database

STANDING_EVERY = 60.0  # seconds between passes of the embedded scheduler


def standing_orders(tools: ShoppingTools, db: Database) -> StandingOrders:
    """Alice's standing orders over ``tools`` and the store ``db``."""
    records = ShopperRecords(tools)
    return StandingOrders(
        tools,
        SqlStandingBook(db),
        owner=persona.IDENTITY,
        purchases=records.purchases,
        new_id=new_id,
        active=lambda delegation: records.credential_status(delegation) == "Active",
    )


def recurring_chat(tools: ShoppingTools, db: Database) -> RecurringChat:
    """Standing orders for Alice's conversations (``Conversation.recurring``)."""
    return RecurringChat(tools, standing_orders(tools, db))


def create_standing_order(
    tools: ShoppingTools, db: Database, text: str
) -> tuple[StandingOrder, Delegation]:
    """Read ``text``; the person approves in her wallet (``tools.approver``) and signs once."""
    intent_id = new_id("int")
    return standing_orders(tools, db).create(
        text,
        signed_in_wallet(tools, tools.approver),
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


@contextmanager
def standing_scheduler(deployment: Deployment, every: float) -> Iterator[Scheduler | None]:
    """Run due standing orders every ``every`` seconds beside the servers (0: not at all).

    The job has its own shopping tools (own HTTP clients, made at its first pass, once the
    servers answer), so it shares no state with a conversation in this process but the store.
    """
    if every <= 0:
        yield None
        return
    clients = Clients()
    made: list[ShoppingTools] = []

    def one_pass() -> list[StandingRun]:
        if not made:
            made.append(tools_for(deployment, clients))
        return run_due(made[0], deployment.db)

    scheduler = Scheduler([Job("standing-orders", every, one_pass)], name="trustcart-standing")
    try:
        with scheduler:
            yield scheduler
    finally:
        clients.close()
