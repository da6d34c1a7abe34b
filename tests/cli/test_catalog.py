"""The catalog commands on a fresh $TRUSTCART_HOME: search (exact filters), import, compare."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401 - registers every command
from trustcart.cli.app import app
from trustcart.local.seed_merchants import DEMO_LOCATION, MERCHANTS

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRUSTCART_HOME", str(folder))
        patch.delenv("TRUSTCART_DATABASE_URL", raising=False)
        yield folder


def _json(args: list[str]) -> list[dict[str, object]]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert isinstance(body, list)
    return body


def test_search_prints_the_documented_fields(home: Path) -> None:
    hits = _json(["search", "pearl milk tea", "--limit", "5", "--json"])
    assert len(hits) == 5
    for hit in hits:
        assert set(hit) >= {"product_id", "title", "merchant_id", "price", "score"}
        price = hit["price"]
        assert isinstance(price, dict)
        assert set(price) == {"amount", "currency"}
        Decimal(str(price["amount"]))
    assert str(hits[0]["title"]).startswith("Pearl Milk Tea")
    assert (home / "index" / "catalog" / "meta.json").is_file()
    chinese = _json(["search", "珍珠奶茶", "--limit", "5", "--json"])
    assert str(chinese[0]["title"]).startswith("Pearl Milk Tea")


@pytest.mark.parametrize("text", ["tea", "t-shirt", "milk", "hat"])
def test_max_price_is_exact(home: Path, text: str) -> None:
    hits = _json(["search", text, "--max-price", "20", "--limit", "200", "--json"])
    assert hits
    assert all(Decimal(str(h["price"]["amount"])) <= 20 for h in hits)  # type: ignore[index]


def test_near_is_exact(home: Path) -> None:
    near = f"{DEMO_LOCATION.lat},{DEMO_LOCATION.lon}"
    hits = _json(
        ["search", "milk tea", "--near", near, "--radius-km", "1.4", "--limit", "200", "--json"]
    )
    assert hits
    locations = {m.merchant_id: m.location for m in MERCHANTS}
    for hit in hits:
        assert DEMO_LOCATION.distance_km(locations[str(hit["merchant_id"])]) <= 1.4
        assert float(str(hit["distance_km"])) <= 1.4


def test_bad_filters_are_refused(home: Path) -> None:
    assert runner.invoke(app, ["search", "tea", "--max-price", "2.345"]).exit_code == 2
    assert runner.invoke(app, ["search", "tea", "--radius-km", "3"]).exit_code == 2


def test_import_then_compare(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "more.csv"
    path.write_text(
        "product_id,title,brand,category,price,currency,stock,gtin\n"
        "p_cli_a,Voltly Power Bank 10000mAh,Voltly,electronics/accessories,99.00,CNY,5,"
        "6901234567892\n"
        "p_cli_b,Voltly Power Bank,Voltly,electronics/accessories,nope,CNY,5,\n"
    )
    first = runner.invoke(app, ["import", str(path), "--merchant", "m_digital_hub", "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert (report["inserted"], report["rejected"]) == (1, 1)
    assert report["issues"][0]["line"] == 3
    again = json.loads(
        runner.invoke(app, ["import", str(path), "--merchant", "m_digital_hub", "--json"]).stdout
    )
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 1)
    found = _json(["search", "voltly power bank 10000mah", "--limit", "3", "--json"])
    assert found[0]["product_id"] == "p_cli_a"

    path.write_text(
        "product_id,title,brand,category,price,currency,stock,gtin\n"
        "p_cli_c,Power Bank (Voltly),Voltly,electronics/accessories,89.00,CNY,5,"
        "6901234567892\n"
    )
    assert runner.invoke(app, ["import", str(path), "--merchant", "m_fresh_mart"]).exit_code == 0
    offers = _json(["compare", "p_cli_a", "--json"])
    # 89 + 5 shipping (- Fresh Mart's 8 off from 88 while it is valid) < 99 + 10 shipping
    assert [o["product_id"] for o in offers] == ["p_cli_c", "p_cli_a"]
    for offer in offers:
        parts = [
            Decimal(str(offer[k]["amount"]))  # type: ignore[index]
            for k in ("price", "shipping", "coupon_discount", "total")
        ]
        assert parts[0] + parts[1] - parts[2] == parts[3]
    assert offers[0]["shipping"] == {"amount": "5.00", "currency": "CNY"}
    assert runner.invoke(app, ["compare", "p_nothing"]).exit_code == 2


@pytest.mark.parametrize(
    ("text", "max_price"), [("cotton t-shirt", None), ("pearl milk tea", "20"), ("珍珠奶茶", None)]
)
def test_the_cli_and_the_agents_query_rank_alike(
    home: Path, text: str, max_price: str | None
) -> None:
    """One engine for every caller: `trustcart search` and the merchant's intent-context answer
    (what the agent sees) list the same products in the same order for the same filters."""
    from trustcart.commerce.catalog_search import IndexedCatalogSearch, open_embedded_index
    from trustcart.commerce.service import MerchantService
    from trustcart.core.clock import SystemClock
    from trustcart.core.home import default_database_url
    from trustcart.store.db import Database

    args = ["search", text, "--limit", "8", "--json"]
    if max_price is not None:
        args += ["--max-price", max_price]
    cli = [hit["product_id"] for hit in _json(args)]
    db = Database(default_database_url(home))
    index = open_embedded_index(home)
    try:
        service = MerchantService(
            db,
            {},
            SystemClock(),
            psp_endpoint="http://127.0.0.1:1/payments",
            psp_id="psp:test",
            search=IndexedCatalogSearch(db, index),
        )
        context: dict[str, object] = {"query": text, "quantity": 1}
        if max_price is not None:
            context["constraints"] = {
                "max_unit_price": {"amount": f"{max_price}.00", "currency": "CNY"}
            }
        answer = service.query_intent_context(
            {"request_id": f"xfr_{abs(hash(text))}", "context": context, "limit": 8}
        )
        agent = [c["product"]["product_id"] for c in answer["candidates"]]
    finally:
        index.close()
        db.dispose()
    assert cli
    assert agent[: len(cli)] == cli[: len(agent)]


def _text(args: list[str]) -> list[str]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_search_prints_a_header_and_readable_columns(home: Path) -> None:
    lines = _text(["search", "pearl milk tea", "--limit", "3"])
    assert lines[0] == 'search "pearl milk tea" (hybrid): 3 results'
    assert lines[1].split() == ["rank", "title", "merchant", "price", "km", "score"]
    rows = lines[2:5]
    assert [row.split()[0] for row in rows] == ["1", "2", "3"]
    assert all("Pearl Milk Tea" in row and "CNY" in row for row in rows)
    merchants = {m.name for m in MERCHANTS}
    assert all(any(name in row for name in merchants) for row in rows)


def test_search_says_no_results_and_why(home: Path) -> None:
    capped = _text(["search", "pearl milk tea", "--max-price", "5"])
    assert capped[0] == 'search "pearl milk tea" (hybrid): no results'
    assert "10 offers match" in capped[1]
    assert "the price cap excludes 10 (the cheapest is 12.00 CNY)" in capped[1]
    near = f"{DEMO_LOCATION.lat},{DEMO_LOCATION.lon}"
    local = _text(["search", "pearl milk tea", "--max-price", "5", "--near", near])
    assert "the cheapest is 16.00 CNY" in local[1]
    assert "the delivery area excludes 2" in local[1]
    unsold = _text(["search", "sparkling water"])
    assert unsold[0] == 'search "sparkling water" (hybrid): no results'
    assert unsold[1].startswith('  no good match for "sparkling water"')
    assert _json(["search", "sparkling water", "--json"])  # --json keeps its documented list


def test_compare_lists_a_grocery_product_at_several_merchants_best_total_first(
    home: Path,
) -> None:
    hits = _json(["search", "bananas", "--category", "grocery", "--limit", "50", "--json"])
    offers: list[dict[str, object]] = []
    for hit in hits:
        offers = _json(["compare", str(hit["product_id"]), "--json"])
        if len({o["merchant_id"] for o in offers}) >= 2:
            break
    merchants = {str(o["merchant_id"]) for o in offers}
    assert len(merchants) >= 2
    assert all(str(o["matched_by"]) in ("gtin", "same-offer") for o in offers)
    assert len({o["gtin"] for o in offers}) == 1
    totals = [Decimal(str(o["total"]["amount"])) for o in offers]  # type: ignore[index]
    assert totals == sorted(totals)
    lines = _text(["compare", str(offers[0]["product_id"])])
    assert "best delivered total first" in lines[0]
    assert lines[1].split()[:4] == ["rank", "merchant", "price", "shipping"]
    names = {m.merchant_id: m.name for m in MERCHANTS}
    order = [
        next(mid for mid in merchants if names[mid] in row) for row in lines[2 : 2 + len(offers)]
    ]
    assert order == [str(o["merchant_id"]) for o in offers]
