"""The platform side under test: Alice's shopping tools with a UCP business added, and the
evidence of a purchase checked by ``trustcart verify`` in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trustcart.assistant.memory import InMemoryMemory
from trustcart.assistant.proposals import Purchase
from trustcart.assistant.tools import ShoppingTools
from trustcart.local.deployment import Deployment
from trustcart.local.evidence import write_evidence
from trustcart.local.market import Clients, tools_for
from trustcart.local.ucp_platform import add_business
from trustcart.store.db import Database, alembic_config

MILK_TEA = "order me a pearl milk tea under 30 CNY"


@contextmanager
def platform_tools(deployment: Deployment, business_url: str | None) -> Iterator[ShoppingTools]:
    """Alice's tools on ``deployment`` (everyone says yes), with ``business_url`` added."""
    clients = Clients()
    memory = InMemoryMemory()
    try:
        if business_url is not None:
            add_business(memory, business_url)
        yield tools_for(deployment, clients, approver=lambda _r: True, memory=memory)
    finally:
        clients.close()


def remote_option(answer: dict[str, Any]) -> dict[str, Any] | None:
    """The first option whose line comes from a UCP business (product id ``ucp:...``)."""
    for option in answer["options"]:
        if any(str(i["product_id"]).startswith("ucp:") for i in option["items"]):
            return dict(option)
    return None


def verify_purchase(deployment: Deployment, purchase: Purchase, folder: Path) -> None:
    """Package the purchase's bundle and run ``trustcart verify`` on it (must exit 0)."""
    deployment.relay.run_once()  # the business's staged records, if still owed to the log
    path = folder / "evidence" / f"{purchase.cart.out_trade_no}.json"
    anchors = write_evidence(deployment, purchase, path)
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from trustcart.cli.main import main; main()",
            "verify",
            str(path),
            "--trusted-keys",
            str(anchors),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr + run.stdout


def stamp_head(db: Database) -> None:
    """Mark a ``create_all`` database as migrated, so the CLI's ``migrate`` leaves it alone."""
    from alembic import command

    with db.engine.begin() as connection:
        command.stamp(alembic_config(connection), "head")
