"""``trustcart standing``: standing orders ("restock printer paper every month under 40").

    trustcart standing add TEXT --yes [--json]   read TEXT, show the recurring delegation to
                                                 sign; ``--yes`` is Alice approving it in her
                                                 wallet (without it nothing is signed: exit 1)
    trustcart standing list [--json]             the standing orders and every period's run:
                                                 what was bought, or why nothing was
    trustcart standing run [--once] [--every S]  buy what is due: a pass every S seconds until
                                                 Ctrl+C (the embedded scheduler), or one pass
                                                 (``--once``: for cron or a job runner)

They run on the default store (``$TRUSTCART_HOME``) as the demo's person, Alice, like
``trustcart orders``. Two runners at once are safe: each (order, period) is bought at most once.
JSON shapes: ``add`` {order_id, delegation_id, item, period, period_cap, max_total, ends};
``list`` {orders: [{order_id, delegation_id, item}], runs: [StandingRun.to_json()]}; ``run``
{runs: [...]}. Exit codes: 0 done; 1 not a standing order, or not approved.
"""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home

EXIT_REFUSED = 1
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON")]

standing_app = typer.Typer(help="Standing orders: one approval, one purchase per period.")
app.add_typer(standing_app, name="standing")


def _echo(value: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=1) if as_json else text)


@standing_app.command("add")
def add(
    text: Annotated[str, typer.Argument(help='e.g. "restock printer paper every month under 40"')],
    yes: Annotated[bool, typer.Option("--yes", help="approve and sign the delegation")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Turn your words into a standing order: one recurring delegation, signed once."""
    from trustcart.assistant.errors import ToolRefused
    from trustcart.assistant.proposals import ApprovalRequest
    from trustcart.local.market import local_market
    from trustcart.local.standing_orders import create_standing_order

    def approver(request: ApprovalRequest) -> bool:
        typer.echo(f"to sign: {request.summary}", err=True)
        return yes

    home = trustcart_home()
    with local_market(home, default_database_url(home), approver=approver) as (tools, deployment):
        try:
            order, delegation = create_standing_order(tools, deployment.db, text)
        except ToolRefused as refusal:
            typer.echo(f"no standing order: {refusal.code}: {refusal.reason}", err=True)
            raise typer.Exit(EXIT_REFUSED) from refusal
    iac = delegation.iac
    rule = iac.commerce.recurrence
    assert rule is not None  # a standing order's credential is recurring by construction
    body = {
        "order_id": order.order_id,
        "delegation_id": iac.delegation_id,
        "item": order.item,
        "period": rule.period,
        "period_cap": rule.period_cap.to_json(),
        "max_total": iac.max_total.to_json(),
        "ends": iac.validity_end.isoformat(),
    }
    _echo(
        body,
        as_json,
        f"standing order {order.order_id}: {order.item}, {rule.period}, at most "
        f"{rule.period_cap} per period, {iac.max_total} in total, until {iac.validity_end:%Y-%m-%d}"
        f" (delegation {iac.delegation_id})",
    )


@standing_app.command("list")
def list_orders(as_json: JsonFlag = False) -> None:
    """Your standing orders and what each period's run did (bought what, or why not)."""
    from trustcart.local import persona
    from trustcart.local.standing_book import SqlStandingBook
    from trustcart.store.db import Database

    home = trustcart_home()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(default_database_url(home))
    try:
        db.migrate()
        book = SqlStandingBook(db)
        orders, runs = book.orders(persona.IDENTITY), book.runs(persona.IDENTITY)
    finally:
        db.dispose()
    body = {
        "orders": [
            {"order_id": o.order_id, "delegation_id": o.delegation_id, "item": o.item}
            for o in orders
        ],
        "runs": [run.to_json() for run in runs],
    }
    lines = [f"{o.order_id}: {o.item} (delegation {o.delegation_id})" for o in orders]
    lines += [run.sentence() for run in runs]
    _echo(body, as_json, "\n".join(lines) or "no standing orders")


@standing_app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit (cron)")] = False,
    every: Annotated[float, typer.Option("--every", min=1.0, help="seconds between passes")] = 60.0,
    as_json: JsonFlag = False,
) -> None:
    """Buy every standing order whose current period has not run yet."""
    from trustcart.local.market import local_market
    from trustcart.local.scheduler import Scheduler
    from trustcart.local.standing_orders import run_due, standing_job

    home = trustcart_home()
    with local_market(home, default_database_url(home)) as (tools, deployment):
        if once:
            runs = run_due(tools, deployment.db)
            _echo(
                {"runs": [r.to_json() for r in runs]},
                as_json,
                "\n".join(r.sentence() for r in runs) or "nothing due",
            )
            return
        typer.echo(f"standing orders: a pass every {every:g} s; Ctrl+C stops", err=True)
        with Scheduler([standing_job(tools, deployment.db, every)], name="trustcart-standing"):
            try:
                threading.Event().wait()  # the scheduler's thread works until Ctrl+C
            except KeyboardInterrupt:
                typer.echo("stopped", err=True)
