"""``trustcart chat``: shop in plain words (English or 中文) on the default store.

Interactive by default (options as a table; "select it", "the second one", "选它"; then yes/no);
``--once TEXT`` answers one message, ``--json`` prints the turn as JSON; ``--jsonl`` reads one
message per line on stdin and writes one JSON object per turn (approval is a message: "yes",
"确认"). Conversations are kept in the store: ``--session ID`` goes on with one (``--session
last`` the most recent); the interactive chat goes on with the most recent one unless ``--new``;
``--once`` and ``--jsonl`` start a new one unless given ``--session``. Every purchase made in
the chat leaves an evidence bundle in ``$TRUSTCART_HOME/evidence/`` with ``trusted-keys.json``
beside it. Set ``--llm-base-url`` (or ``TRUSTCART_LLM_BASE_URL``, with ``TRUSTCART_LLM_MODEL``
and ``TRUSTCART_LLM_API_KEY``) to let an OpenAI-compatible model drive the same tools.

Standing orders ("restock printer paper every month under 40") are proposed, signed on "yes",
listed ("my standing orders") and stopped ("stop the paper order") in the chat
(``assistant.recurring_chat``); while the chat runs, due ones are bought in the background
every ``--standing-every`` seconds (default 60, 0: not at all), as ``trustcart serve`` does.

Exit status: 0 after an answer; 2 when the words cannot be read (an amount out of range...) or
the model endpoint cannot be used, with the reason on stderr. In the interactive loop such an
error is shown and the conversation goes on.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from trustcart.cli.app import app
from trustcart.core.home import default_database_url, trustcart_home

STANDING_EVERY = 60.0  # the default of --standing-every (local.standing_orders.STANDING_EVERY)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from trustcart.assistant.conversation import Conversation, Turn
    from trustcart.assistant.tools import ShoppingTools
    from trustcart.local.deployment import Deployment


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
    console.print("[bold cyan]assistant[/] ", end="")
    console.print(str(turn_json["message"]), markup=False, highlight=False)
    for path in turn_json.get("evidence") or []:  # type: ignore[attr-defined]
        console.print(f"[dim]evidence: {path}[/]")


def _conversation(
    tools: ShoppingTools, deployment: Deployment, session: str | None, *, resume_last: bool
) -> Conversation:
    from trustcart.assistant.conversation import Conversation
    from trustcart.assistant.dialogue import DialogueError
    from trustcart.local.standing_orders import recurring_chat

    if session == "last" or (session is None and resume_last):
        session = tools.memory.last_conversation() or None
    try:
        conversation = Conversation(tools, session_id=session)
    except DialogueError as e:
        typer.echo(f"cannot go on with conversation {session}: {e}; starting a new one", err=True)
        conversation = Conversation(tools)
    conversation.recurring = recurring_chat(tools, deployment.db)  # standing orders
    return conversation


def _with_evidence(
    turn: Turn, tools: ShoppingTools, deployment: Deployment, home: Path
) -> dict[str, Any]:
    """The turn's JSON, with an evidence bundle written for each order it paid."""
    from trustcart.local.evidence import write_evidence

    answer = turn.to_json()
    written = []
    for order in turn.orders if turn.paid else []:
        number = str(order["out_trade_no"])
        path = home / "evidence" / f"{number}.json"
        write_evidence(deployment, tools.purchases[number], path)
        written.append(str(path))
    answer["evidence"] = written
    return answer


@app.command()
def chat(  # noqa: PLR0917 - one parameter per CLI option
    once: str = typer.Option(None, "--once", help="answer one message and exit"),
    as_json: bool = typer.Option(False, "--json", help="print the turn as JSON"),
    llm_base_url: str = typer.Option(
        None, "--llm-base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1"
    ),
    llm_model: str = typer.Option(None, "--llm-model", help="model name at that endpoint"),
    jsonl: bool = typer.Option(
        False, "--jsonl", help="read one message per line on stdin, write one JSON per turn"
    ),
    session: str = typer.Option(
        None, "--session", help="go on with this conversation ('last': the most recent)"
    ),
    new: bool = typer.Option(False, "--new", help="start a new conversation"),
    standing_every: float = typer.Option(
        STANDING_EVERY, "--standing-every", min=0.0, help="seconds between standing-order passes"
    ),
) -> None:
    """Shop in plain words: intent, questions, options, approval, verified payment."""
    from rich.console import Console
    from rich.markup import escape

    from trustcart.assistant.errors import LLMError
    from trustcart.core.errors import ValidationError
    from trustcart.local.market import local_market
    from trustcart.local.standing_orders import standing_scheduler

    console = Console()
    home = trustcart_home()
    base_url = llm_base_url or os.environ.get("TRUSTCART_LLM_BASE_URL")
    with (
        local_market(home, default_database_url(home)) as (tools, deployment),
        standing_scheduler(deployment, standing_every),
    ):
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
        interactive = once is None and not jsonl  # goes on with the last conversation
        conversation = _conversation(
            tools, deployment, None if new else session, resume_last=interactive
        )
        if jsonl:
            for line in sys.stdin:
                if line.strip():
                    try:
                        turn = conversation.say(line)
                    except ValidationError as e:
                        typer.echo(
                            json.dumps(
                                {"error": "unreadable", "reason": str(e)}, ensure_ascii=False
                            )
                        )
                        continue
                    evidence = _with_evidence(turn, tools, deployment, home)["evidence"]
                    typer.echo(
                        json.dumps({**turn.to_jsonl(), "evidence": evidence}, ensure_ascii=False)
                    )
            return
        if once is not None:
            try:
                said = conversation.say(once)
            except ValidationError as e:
                raise _fail(f"cannot read that request: {e}") from e
            answer = _with_evidence(said, tools, deployment, home)
            if as_json:
                typer.echo(json.dumps(answer, ensure_ascii=False, indent=1))
            else:
                _show(console, answer)
            return
        how = "going on with" if conversation.resumed else "new conversation"
        console.print(
            f"[dim]trustcart assistant ({how} {conversation.session_id}; --new starts afresh): "
            "tell me what to buy, 'help' for what you can say (empty line or Ctrl+D ends)[/]"
        )
        for text in _lines(console):
            try:
                _show(console, _with_evidence(conversation.say(text), tools, deployment, home))
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
