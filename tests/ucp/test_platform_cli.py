"""``trustcart merchants add URL`` and ``merchants list`` against a real UCP business on
loopback, then ``trustcart chat --once ... --json`` offers an item of that business (SQLite and
PostgreSQL: the CLI runs on the same store as the business)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401 - registers every command
from tests.helpers.ucp_shopper import MILK_TEA, stamp_head
from tests.helpers.ucp_world import ucp_world
from trustcart.cli.app import app
from trustcart.local.servers import free_port
from trustcart.store.db import Database


def test_add_list_and_chat_offer_from_the_business(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp_head(db)
    monkeypatch.setenv("TRUSTCART_HOME", str(tmp_path))
    monkeypatch.setenv("TRUSTCART_DATABASE_URL", db.url)
    runner = CliRunner()
    with ucp_world(db, tmp_path) as world:
        url = world.deployment.endpoints.ucp

        # refused, with the documented exit codes, and nothing kept
        closed = runner.invoke(app, ["merchants", "add", f"http://127.0.0.1:{free_port()}"])
        assert closed.exit_code == 1, closed.output
        assert "ucp-unreachable" in closed.output
        assert "nothing was added" in closed.output
        bad = runner.invoke(app, ["merchants", "add", "ftp://127.0.0.1"])
        assert bad.exit_code == 2, bad.output
        assert "ucp-bad-url" in bad.output
        not_ucp = runner.invoke(app, ["merchants", "add", world.deployment.endpoints.psp])
        assert not_ucp.exit_code == 1, not_ucp.output
        assert "ucp-profile-invalid" in not_ucp.output
        listed = runner.invoke(app, ["merchants", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        assert {m["kind"] for m in json.loads(listed.output)["merchants"]} == {"local"}

        added = runner.invoke(app, ["merchants", "add", url + "/", "--json"])
        assert added.exit_code == 0, added.output
        business = json.loads(added.output)
        assert business["kind"] == "ucp"
        assert business["url"] == url
        assert business["payment_handler"] == "trustcart_token"

        listed = runner.invoke(app, ["merchants", "list", "--json"])
        merchants = json.loads(listed.output)["merchants"]
        local = [m for m in merchants if m["kind"] == "local"]
        assert local
        assert {"merchant_id", "name", "kid", "products", "coupons", "url"} <= set(local[0])
        assert [m["url"] for m in merchants if m["kind"] == "ucp"] == [url]
        text = runner.invoke(app, ["merchants", "list"])
        assert f"UCP business at {url}" in text.output

        once = runner.invoke(app, ["chat", "--once", MILK_TEA, "--json"])
        assert once.exit_code == 0, once.output
        items = [i for o in json.loads(once.output)["options"] for i in o["items"]]
        host = url.removeprefix("http://")
        assert any(f"(UCP {host})" in i["merchant_name"] for i in items), items
