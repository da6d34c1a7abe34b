"""``trustcart merchants create | list`` and ``trustcart roi`` on a fresh $TRUSTCART_HOME."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401 - registers every command
from trustcart.cli.app import app
from trustcart.local.keystore import KeyStore

runner = CliRunner()
BASE = [
    "merchants", "create", "--name", "Lotus Tea", "--name-zh", "莲花茶", "--lat", "30.25",
    "--lon", "120.13", "--category", "drinks/milk-tea", "--category", "drinks/fruit-tea",
    "--radius-km", "4", "--shipping-fee", "3",
]  # fmt: skip
CREATE = [*BASE, "--coupon", "fixed:5:30:5 off 30", "--coupon", "percent:10:0:10% off:30", "--json"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRUSTCART_HOME", str(folder))
        patch.delenv("TRUSTCART_DATABASE_URL", raising=False)
        yield folder


def test_create_prints_the_documented_shape_and_keeps_the_key(home: Path) -> None:
    result = runner.invoke(app, CREATE)
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert set(created) == {
        "merchant_id", "name", "name_zh", "location", "delivery_radius_km", "categories",
        "currency", "delivery_fee", "kid", "jwks", "coupons",
    }  # fmt: skip
    assert created["merchant_id"] == "m_lotus_tea"
    assert created["name_zh"] == "莲花茶"
    assert created["delivery_fee"] == {"amount": "3.00", "currency": "CNY"}
    assert [c["kind"] for c in created["coupons"]] == ["fixed", "percent"]
    assert created["jwks"]["keys"][0]["kid"] == created["kid"]
    assert "d" not in created["jwks"]["keys"][0]  # the public key only
    stored = KeyStore(home / "keys.json")
    assert stored.kid_of("merchant:m_lotus_tea") == created["kid"]
    again = json.loads(runner.invoke(app, CREATE).stdout)
    assert again["merchant_id"].startswith("m_lotus_tea_")


def test_list_shows_every_merchant_with_counts(home: Path) -> None:
    result = runner.invoke(app, ["merchants", "list", "--json"])
    assert result.exit_code == 0, result.output
    merchants = {m["merchant_id"]: m for m in json.loads(result.stdout)["merchants"]}
    lotus = merchants["m_lotus_tea"]
    assert (lotus["products"], lotus["coupons"], lotus["name_zh"]) == (0, 2, "莲花茶")
    assert merchants["m_lakeside_tea"]["products"] > 0  # the seeded demo merchants are there


@pytest.mark.parametrize(
    "change",
    [
        ["--lat", "95"],
        ["--coupon", "fixed:5"],
        ["--coupon", "percent:150:0:too much"],
        ["--shipping-fee", "-2"],
        ["--category", "Not A Category"],
    ],
)
def test_bad_input_is_refused_with_exit_2(home: Path, change: list[str]) -> None:
    result = runner.invoke(app, [*BASE, *change])
    assert result.exit_code == 2, result.output
    assert "error:" in result.output


def test_an_existing_id_is_refused(home: Path) -> None:
    result = runner.invoke(app, [*CREATE, "--id", "m_lotus_tea"])
    assert result.exit_code == 2
    assert "exists" in result.output


def test_roi_prints_the_documented_shape(home: Path) -> None:
    result = runner.invoke(app, ["roi", "--days", "3", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {
        "currency", "merchant_id", "from", "to", "sources", "totals", "by_day", "unavailable",
    }  # fmt: skip
    assert len(report["by_day"]) == 3
    assert set(report["totals"]) == {
        "gmv", "orders", "average_order_value", "refunds", "net", "funnel", "refusals", "compute",
    }  # fmt: skip
    assert set(report["totals"]["funnel"]) == {
        "intents", "options_shown", "carts_confirmed", "paid", "conversion",
    }  # fmt: skip
    text = runner.invoke(app, ["roi", "--merchant", "m_lotus_tea"])
    assert text.exit_code == 0
    assert "funnel:" in text.stdout
