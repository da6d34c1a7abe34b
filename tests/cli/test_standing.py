"""``trustcart standing add/run --once/list`` and ``delegations`` as a person runs them: one
approval, one purchase in the period, a rerun that buys nothing, the figures shown."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import trustcart.cli.commands  # noqa: F401 - registers every command
from trustcart.assistant.tools import ShoppingTools
from trustcart.cli.app import app
from trustcart.local.deployment import Deployment

Run = Callable[..., Result]


@pytest.fixture
def run(
    market: tuple[ShoppingTools, Deployment], market_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Run:
    monkeypatch.setenv("TRUSTCART_HOME", str(market_home))
    monkeypatch.setenv("TRUSTCART_DATABASE_URL", f"sqlite:///{market_home / 'trustcart.db'}")

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, list(args))

    return invoke


def test_add_run_list_and_delegations(run: Run) -> None:
    added = run("standing", "add", "每月补货奶茶粉，40元以内", "--yes", "--json")
    assert added.exit_code == 0, added.output
    order = json.loads(added.stdout)
    assert (order["period"], order["period_cap"]["amount"]) == ("P1M", "40.00")
    first = run("standing", "run", "--once", "--json")
    assert first.exit_code == 0, first.output
    runs = [r for r in json.loads(first.stdout)["runs"] if r["order_id"] == order["order_id"]]
    assert [r["outcome"] for r in runs] == ["paid"]
    again = run("standing", "run", "--once", "--json")
    assert [r for r in json.loads(again.stdout)["runs"] if r["order_id"] == order["order_id"]] == []
    listed = json.loads(run("standing", "list", "--json").stdout)
    assert [r["outcome"] for r in listed["runs"] if r["order_id"] == order["order_id"]] == ["paid"]
    found = json.loads(run("delegations", "--json").stdout)
    mine = next(d for d in found if d["delegation_id"] == order["delegation_id"])
    assert mine["intent"] == "每月补货奶茶粉，40元以内"
    assert mine["recurrence"]["spent_this_period"] == runs[0]["amount"]
    assert "this period" in run("delegations").stdout


def test_add_without_yes_signs_nothing(run: Run) -> None:
    refused = run("standing", "add", "restock bananas weekly under 10")
    assert refused.exit_code == 1
    assert "declined" in refused.output


def test_words_that_are_not_a_standing_order(run: Run) -> None:
    refused = run("standing", "add", "bananas under 10", "--yes")
    assert refused.exit_code == 1
    assert "not-a-standing-order" in refused.output
