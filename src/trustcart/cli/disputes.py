"""``trustcart disputes open | list | show | appeal``: disputes decided from evidence.

Runs on the default store (``$TRUSTCART_HOME``) as the demo's person, Alice, or with
``--as-merchant ID`` as that merchant (who must be the one paid). ``open`` gathers the
order's evidence bundle, verifies it against the installation's trust anchors, applies the
rules of docs/disputes.md, posts the refund if any and logs ``decision-logged``; it prints the
dispute as it ends. ``--json`` prints the dispute object of the README (``list``: a list).

Exit codes: 0 done; 1 refused (not your order, no paid order, already disputed, no such
dispute, an appeal of a dispute not decided); 2 bad arguments.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home

if TYPE_CHECKING:
    from trustcart.disputes.records import Opener
    from trustcart.disputes.service import DisputeService

EXIT_REFUSED = 1
disputes_app = typer.Typer(
    help="Open, list, show and appeal disputes.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(disputes_app, name="disputes")

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON (see the README)")]
AsMerchant = Annotated[
    str | None, typer.Option("--as-merchant", help="act as this merchant instead of Alice")
]


def _opener(merchant: str | None) -> Opener:
    from trustcart.disputes.records import Opener, OpenerRole
    from trustcart.local import persona

    if merchant:
        return Opener(OpenerRole.MERCHANT, merchant)
    return Opener(OpenerRole.PERSON, persona.IDENTITY)


@contextmanager
def _service() -> Iterator[DisputeService]:
    from trustcart.disputes.errors import DisputeError
    from trustcart.local.disputes import dispute_service
    from trustcart.local.evidence import opened_deployment

    home = trustcart_home()
    with opened_deployment(home, default_database_url(home)) as deployment:
        try:
            yield dispute_service(deployment)
        except DisputeError as e:
            typer.echo(f"refused ({e.code}): {e.detail}", err=True)
            raise typer.Exit(EXIT_REFUSED) from e


def _show(dispute: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(dispute, ensure_ascii=False, indent=1))
        return
    decision = dispute.get("decision") or {}
    refund = decision.get("refund")
    typer.echo(
        f"{dispute['dispute_id']}  order {dispute['out_trade_no']}  {dispute['state']}"
        + (f"  {decision['outcome']} ({decision['reason_code']})" if decision else "")
        + (f"  refund {refund['amount']} {refund['currency']}" if refund else "")
    )
    if decision:
        typer.echo(f"  {decision['detail']}")
        typer.echo(f"  evidence: {', '.join(decision['evidence']) or 'none trusted'}")


@disputes_app.command("open")
def open_dispute(
    order_id: Annotated[str, typer.Argument(help="the order number")],
    reason: Annotated[str, typer.Option("--reason", help="what went wrong, in a sentence")],
    as_merchant: AsMerchant = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a dispute on a paid order; it is decided from the evidence at once."""
    with _service() as service:
        dispute = service.open(order_id, _opener(as_merchant), reason)
    _show(dispute, as_json)


@disputes_app.command("list")
def list_disputes(as_merchant: AsMerchant = None, as_json: JsonFlag = False) -> None:
    """Your disputes, newest first."""
    with _service() as service:
        found = service.all(_opener(as_merchant))
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=1))
    elif not found:
        typer.echo("no disputes")
    for dispute in [] if as_json else found:
        _show(dispute, as_json=False)


@disputes_app.command("show")
def show_dispute(
    dispute_id: Annotated[str, typer.Argument(help="the dispute id (dsp_...)")],
    as_merchant: AsMerchant = None,
    as_json: JsonFlag = False,
) -> None:
    """One dispute: its state, decision, refund and the evidence it rests on."""
    with _service() as service:
        dispute = service.show(dispute_id, _opener(as_merchant))
    _show(dispute, as_json)


@disputes_app.command("appeal")
def appeal_dispute(
    dispute_id: Annotated[str, typer.Argument(help="the dispute id (dsp_...)")],
    reason: Annotated[str, typer.Option("--reason", help="why the decision is wrong")] = (
        "the decision is contested"
    ),
    as_merchant: AsMerchant = None,
    as_json: JsonFlag = False,
) -> None:
    """Contest a decision: the dispute goes to human review (``appealed``)."""
    with _service() as service:
        dispute = service.appeal(dispute_id, _opener(as_merchant), reason)
    _show(dispute, as_json)
