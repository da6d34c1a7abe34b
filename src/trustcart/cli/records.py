"""The shopper's own records: ``trustcart orders``, ``delegations``, ``revoke``, ``evidence``.

Each runs on the default store (``$TRUSTCART_HOME``, like ``trustcart chat``) as the demo's
person, Alice, and reads what her agent recorded (chat, MCP and demo purchases alike). The
JSON shapes (``--json``) are contracts, documented in the README:

    orders       a list of {order_id, trade_no, merchant_id, merchant_name, items: [{product_id,
                 title, quantity, unit_price}], amount, mode, status, paid_at, delegation_id};
                 ``status`` is the merchant's, asked over signed HTTP ("unknown" if it does
                 not answer), or for a UCP business's order its latest verified webhook's
    delegations  a list of {delegation_id, mode, intent, limits: {max_total, max_single,
                 max_total_quantity, allowed_merchants, forbidden_merchants,
                 allowed_categories}, spent, remaining, purchases, budget_from, status,
                 valid_from, valid_until}; spent and remaining are the payment provider's
                 figures from its latest signed receipt (``budget_from`` names that payment),
                 status is the status service's signed answer
    revoke       {delegation_id, status} on success; {error, reason} when refused
    evidence     {order_id, bundle, trusted_keys}

Exit codes: 0 done; 1 refused or not found (``revoke``: unknown delegation, or the status
service did not accept the revocation, e.g. already revoked or expired; ``evidence``: no such
order); 2 a file could not be written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home

EXIT_REFUSED = 1
EXIT_UNWRITABLE = 2
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON (see the README)")]


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=1))


@app.command()
def orders(as_json: JsonFlag = False) -> None:
    """Every order your agent paid: merchant, items, amount, mode, status, date."""
    from trustcart.assistant.records import ShopperRecords
    from trustcart.assistant.replies import orders_text
    from trustcart.local.market import local_market

    home = trustcart_home()
    with local_market(home, default_database_url(home)) as (tools, _deployment):
        found = ShopperRecords(tools).orders()
    if as_json:
        _echo_json(found)
    else:
        typer.echo(orders_text(found, "en", limit=len(found) or 1))


@app.command()
def delegations(as_json: JsonFlag = False) -> None:
    """Every credential you signed: limits, spent and remaining budget, status, validity."""
    from trustcart.assistant.records import ShopperRecords
    from trustcart.assistant.replies import delegations_text
    from trustcart.local.market import local_market

    home = trustcart_home()
    with local_market(home, default_database_url(home)) as (tools, _deployment):
        found = ShopperRecords(tools).delegations()
    if as_json:
        _echo_json(found)
    else:
        typer.echo(delegations_text(found, "en"))


@app.command()
def revoke(
    delegation_id: Annotated[str, typer.Argument(help="the delegation to revoke (dlg_...)")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke a credential you signed: your wallet signs the revocation; nothing more can be
    paid under it. Exit 0 when revoked, 1 when refused."""
    from trustcart.assistant.errors import ToolRefused
    from trustcart.assistant.refusal_words import refusal_sentence
    from trustcart.local.market import local_market

    home = trustcart_home()
    with local_market(home, default_database_url(home)) as (tools, _deployment):
        try:
            answer = tools.revoke(delegation_id)
        except ToolRefused as refusal:
            if as_json:
                _echo_json(refusal.to_json())
            else:
                why = refusal_sentence(refusal.code, refusal.reasons, "en")
                typer.echo(f"not revoked: {why} ({refusal.code}: {refusal.reason})", err=True)
            raise typer.Exit(EXIT_REFUSED) from refusal
    if as_json:
        _echo_json(answer)
    else:
        typer.echo(f"revoked {delegation_id}: nothing more can be paid under it")


@app.command()
def evidence(
    order_id: Annotated[str, typer.Argument(help="the order number (or the PSP's trade number)")],
    out: Annotated[Path, typer.Option("-o", "--out", help="where to write the bundle (JSON)")],
    as_json: JsonFlag = False,
) -> None:
    """Write the evidence bundle of one of your orders, and trusted-keys.json beside it."""
    from trustcart.local.evidence import find_purchase, opened_deployment, write_evidence

    home = trustcart_home()
    with opened_deployment(home, default_database_url(home)) as deployment:
        purchase = find_purchase(deployment, order_id)
        if purchase is None:
            typer.echo(f"no order {order_id} among your purchases", err=True)
            raise typer.Exit(EXIT_REFUSED)
        try:
            trusted = write_evidence(deployment, purchase, out)
        except OSError as e:
            typer.echo(f"cannot write {out}: {e}", err=True)
            raise typer.Exit(EXIT_UNWRITABLE) from e
    if as_json:
        _echo_json({"order_id": order_id, "bundle": str(out), "trusted_keys": str(trusted)})
    else:
        typer.echo(f"evidence for {order_id} written to {out}")
        typer.echo(f"verify it: trustcart verify {out} --trusted-keys {trusted}")
