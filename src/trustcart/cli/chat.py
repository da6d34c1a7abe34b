"""``trustcart chat``: shop in plain words (English or 中文) on the default store.

Interactive by default (options as a table; "select it", "the second one", "选它"; then yes/no);
``--once TEXT`` answers one message, ``--json`` prints the turn as JSON. Set ``--llm-base-url``
(or ``TRUSTCART_LLM_BASE_URL``, with ``TRUSTCART_LLM_MODEL`` and ``TRUSTCART_LLM_API_KEY``) to
let an OpenAI-compatible model drive the same tools.

Exit status: 0 after an answer; 2 when the words cannot be read (an amount out of range...) or
the model endpoint cannot be used, with the reason on stderr. In the interactive loop such an
error is shown and the conversation goes on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import typer

from trustcart.cli.app import app

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
from trustcart.core.home import default_database_url, trustcart_home


def options_table(turn_json: dict[str, object]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold", padding=(0, 1))
    for column in ("#", "item", "merchant", "qty", "unit", "total", "why"):
        table.add_column(column)
    options = turn_json.get("options")
    assert isinstance(options, list)
    for number, option in enumerate(options, 1):
        for index, line in enumerate(option["items"]):
            cells = (
                str(number) if index == 0 else "",
                line["title"],
                line["merchant_name"],
                str(line["quantity"]),
                line["unit_price"]["amount"],
                option["total"]["amount"] + " " + option["total"]["currency"] if index == 0 else "",
                option["reason"] if index == 0 else "",
            )
            # Catalog text is not markup: a title with "[/x]" must print, not raise.
            table.add_row(*(Text(str(cell)) for cell in cells))
    return table


def _show(console: Console, turn_json: dict[str, object]) -> None:
    if turn_json.get("options"):
        console.print(options_table(turn_json))
    from rich.markup import escape

    console.print(f"[bold cyan]assistant[/] {escape(str(turn_json['message']))}")


@app.command()
def chat(
    once: str = typer.Option(None, "--once", help="answer one message and exit"),
    as_json: bool = typer.Option(False, "--json", help="print the turn as JSON"),
    llm_base_url: str = typer.Option(
        None, "--llm-base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1"
    ),
    llm_model: str = typer.Option(None, "--llm-model", help="model name at that endpoint"),
) -> None:
    """Shop in plain words: intent, questions, options, approval, verified payment."""
    from rich.console import Console
    from rich.markup import escape

    from trustcart.assistant.conversation import Conversation
    from trustcart.assistant.errors import LLMError
    from trustcart.core.errors import ValidationError
    from trustcart.local.market import local_market

    console = Console()
    home = trustcart_home()
    base_url = llm_base_url or os.environ.get("TRUSTCART_LLM_BASE_URL")
    with local_market(home, default_database_url(home)) as (tools, _deployment):
        if base_url:
            from trustcart.assistant.llm.agent import LLMShopper
            from trustcart.assistant.llm.client import ChatClient

            client = ChatClient(
                base_url,
                llm_model or os.environ.get("TRUSTCART_LLM_MODEL", "qwen-plus"),
                os.environ.get("TRUSTCART_LLM_API_KEY", ""),
            )
            if once is None:  # a person is at the terminal: they approve or refuse
                tools.approver = lambda request: typer.confirm(request.summary, default=False)
            shopper = LLMShopper(client, tools)
            try:
                for text in [once] if once else _lines(console):
                    console.print(f"[bold cyan]assistant[/] {escape(shopper.run(text))}")
            except LLMError as e:
                raise _fail(f"the model at {base_url} cannot be used: {e}") from e
            finally:
                client.close()
            return
        conversation = Conversation(tools)
        if once is not None:
            try:
                turn = conversation.say(once).to_json()
            except ValidationError as e:
                raise _fail(f"cannot read that request: {e}") from e
            if as_json:
                typer.echo(json.dumps(turn, ensure_ascii=False, indent=1))
            else:
                _show(console, turn)
            return
        console.print(
            "[dim]trustcart assistant: tell me what to buy (empty line or Ctrl+D ends)[/]"
        )
        for text in _lines(console):
            try:
                _show(console, conversation.say(text).to_json())
            except ValidationError as e:
                console.print(f"[bold cyan]assistant[/] I cannot read that: {escape(str(e))}")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _lines(console: Console) -> Iterator[str]:
    while True:
        try:
            text = console.input("[bold green]you[/] ")
        except (EOFError, KeyboardInterrupt):
            return
        if not text.strip():
            return
        yield text
