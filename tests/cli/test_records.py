"""``trustcart chat --jsonl`` and the shopper's records after a chat purchase, as a person runs
them: ``orders --json``, ``delegations --json``, ``revoke``, ``evidence`` verified offline."""

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import trustcart.cli.commands  # noqa: F401 - registers every command
from trustcart.assistant.tools import ShoppingTools
from trustcart.cli.app import app
from trustcart.local.deployment import Deployment

JSONL_KEYS = {"reply", "intent", "questions", "options", "awaiting_approval"}


Run = Callable[..., Result]


@pytest.fixture
def run(
    market: tuple[ShoppingTools, Deployment], market_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Run:
    monkeypatch.setenv("TRUSTCART_HOME", str(market_home))
    monkeypatch.setenv("TRUSTCART_DATABASE_URL", f"sqlite:///{market_home / 'trustcart.db'}")

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), input=stdin)

    return invoke


def _turns(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_jsonl_make_it_large_proposes_only_large_ones_within_30(run: Run) -> None:
    turns = _turns(run("chat", "--jsonl", stdin="a pearl milk tea under 30\nmake it large\n"))
    assert len(turns) == 2
    for turn in turns:
        assert set(turn) >= JSONL_KEYS
        assert isinstance(turn["reply"], str)
        assert turn["awaiting_approval"] is None
    large = turns[1]
    assert large["options"]
    for option in large["options"]:
        assert set(option) >= {"items", "total", "reason"}
        for line in option["items"]:
            assert set(line) >= {"product_id", "title", "merchant_id", "quantity", "unit_price"}
            assert "Large" in line["title"]
            assert Decimal(line["unit_price"]["amount"]) <= 30
    assert large["intent"]["items"][0]["attributes"] == {"size": "large"}
    assert large["intent"]["max_unit_price"] == {"amount": "30.00", "currency": "CNY"}


def test_a_chat_purchase_then_every_record_command(run: Run, tmp_path: Path) -> None:
    turns = _turns(run("chat", "--jsonl", stdin="a pearl milk tea under 30\nthe second one\nyes\n"))
    shown, asked, paid = turns
    awaiting = asked["awaiting_approval"]
    assert awaiting["items"][0]["product_id"] == shown["options"][1]["items"][0]["product_id"]
    assert awaiting["total"] == shown["options"][1]["total"]
    assert set(awaiting["items"][0]) >= {
        "product_id",
        "title",
        "merchant_id",
        "quantity",
        "unit_price",
    }
    assert paid["orders"], paid["reply"]
    order_id = paid["orders"][0]["out_trade_no"]
    chat_bundle = Path(paid["evidence"][0])
    assert chat_bundle.exists()

    orders = json.loads(run("orders", "--json").stdout)
    mine = next(o for o in orders if o["order_id"] == order_id)
    assert set(mine) >= {
        "order_id",
        "merchant_id",
        "items",
        "amount",
        "mode",
        "status",
        "paid_at",
        "delegation_id",
        "trade_no",
        "merchant_name",
    }
    assert mine["status"] == "PAID"  # the merchant's own word
    assert mine["mode"] == "L1"
    assert mine["amount"] == awaiting["total"]
    assert mine["items"][0]["product_id"] == awaiting["items"][0]["product_id"]

    delegations = json.loads(run("delegations", "--json").stdout)
    signed = next(d for d in delegations if d["delegation_id"] == mine["delegation_id"])
    assert signed["mode"] == "SPECIFIED"
    assert signed["status"] == "Active"  # the status service's signed answer
    assert signed["spent"] == mine["amount"]
    assert signed["remaining"] == {"amount": "0.00", "currency": "CNY"}
    assert signed["budget_from"] == mine["trade_no"]  # the PSP's receipt, not a counter
    assert set(signed["limits"]) >= {"max_total", "max_single", "allowed_merchants"}

    out = tmp_path / "bundle.json"
    written = run("evidence", order_id, "-o", str(out), "--json")
    assert written.exit_code == 0, written.output
    trusted = json.loads(written.stdout)["trusted_keys"]
    assert Path(trusted) == tmp_path / "trusted-keys.json"
    verified = run("verify", str(out), "--trusted-keys", trusted)
    assert verified.exit_code == 0, verified.output
    also = run(
        "verify", str(chat_bundle), "--trusted-keys", str(chat_bundle.parent / "trusted-keys.json")
    )
    assert also.exit_code == 0, also.output
    assert run("evidence", "ord_nobody", "-o", str(tmp_path / "x.json")).exit_code == 1

    revoked = run("revoke", signed["delegation_id"], "--json")
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(revoked.stdout)["status"] == "Revoked"
    again = run("revoke", signed["delegation_id"])
    assert again.exit_code == 1  # Revoked is final: the status service refuses
    assert run("revoke", "dlg_unknown").exit_code == 1
    after = json.loads(run("delegations", "--json").stdout)
    assert next(d for d in after if d["delegation_id"] == signed["delegation_id"])["status"] == (
        "Revoked"
    )


def test_a_conversation_goes_on_with_session(run: Run) -> None:
    (first,) = _turns(run("chat", "--jsonl", stdin="一杯30元以内的珍珠奶茶\n"))
    assert first["language"] == "zh"
    assert first["options"]
    (then,) = _turns(run("chat", "--jsonl", "--session", first["session"], stdin="第二个\n"))
    assert then["session"] == first["session"]
    assert (
        then["awaiting_approval"]["items"][0]["product_id"]
        == (first["options"][1]["items"][0]["product_id"])
    )
    assert "确认" in then["reply"]
    (last,) = _turns(run("chat", "--jsonl", "--session", "last", stdin="取消\n"))
    assert last["session"] == first["session"]
    assert last["awaiting_approval"] is None
