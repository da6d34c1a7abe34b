"""The Typer application every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    # Plain help: rich help formatting imports markdown and pygments, ~0.3 s per command.
    rich_markup_mode=None,
    name="trustcart",
    help="trustcart: agentic commerce with an ACT 2.1 trust layer.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """trustcart: agentic commerce with an ACT 2.1 trust layer."""
