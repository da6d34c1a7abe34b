"""A merchant's own catalog, nothing of the seed, shopped over the real protocols (SQLite).

Every role runs on loopback; the assistant learns the catalog's words from the marketplace's
signed ``GET /catalog/vocabulary`` and compares over ``GET /products/{id}/offers``. Requests
in English and Chinese (with measure words) must find the merchant's goods, and a product the
catalog does not sell must not be replaced by something else.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from tests.helpers.foreign_catalog import MERCHANT, SECOND, foreign_products
from trustcart.api.agent_auth import AgentRequestSigner
from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.tools import ShoppingTools
from trustcart.commerce.repository import insert_catalog
from trustcart.local.deployment import Deployment
from trustcart.local.market import local_market
from trustcart.store.db import Database


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ShoppingTools, Deployment]]:
    home = tmp_path_factory.mktemp("foreign")
    url = f"sqlite:///{home / 'trustcart.db'}"
    db = Database(url)
    db.migrate()
    with db.transaction() as session:
        insert_catalog(session, [MERCHANT, SECOND], foreign_products())
    db.dispose()
    with local_market(home, url) as running:  # not empty: nothing of the seed is added
        yield running


def _lines(answer: dict[str, object]) -> list[dict[str, object]]:
    options = answer["options"]
    assert isinstance(options, list)
    return [line for option in options for line in option["items"]]


@pytest.mark.parametrize(
    ("text", "titles", "quantity"),
    [
        ("一袋猫粮", ("Cat Food",), 1),
        ("两盒香薰蜡烛", ("Scented Candle",), 2),
        ("一盒玫瑰香薰蜡烛", ("Scented Candle - rose",), 1),
        ("我要一包薯片", ("Potato Chips",), 1),
        ("三支蓝色中性笔", ("Gel Pen - blue",), 3),
        ("a lavender scented candle under 50", ("Scented Candle - lavender",), 1),
        ("2 bags of dry cat food", ("Dry Cat Food",), 2),
        ("a teal yoga mat", ("Yoga Mat 6mm - teal",), 1),
    ],
)
def test_the_merchants_goods_are_found_in_both_languages(
    foreign: tuple[ShoppingTools, Deployment], text: str, titles: tuple[str, ...], quantity: int
) -> None:
    tools, _ = foreign
    answer = tools.compare(text)
    lines = _lines(answer)
    assert lines, answer["explain"]
    for line in lines:
        assert any(t in str(line["title"]) for t in titles), line["title"]
        assert line["quantity"] == quantity


def test_what_the_catalog_does_not_sell_is_not_replaced(
    foreign: tuple[ShoppingTools, Deployment],
) -> None:
    tools, _ = foreign
    for text in ("a pearl milk tea", "sparkling water", "一杯珍珠奶茶", "dog food"):
        answer = tools.compare(text)
        assert answer["options"] == [], (text, answer["options"])
        assert answer["explain"]


def test_the_same_candle_at_two_shops_best_total_first(
    foreign: tuple[ShoppingTools, Deployment],
) -> None:
    tools, _ = foreign
    candle = next(p for p in foreign_products() if p.merchant_id == SECOND.merchant_id)
    answer = tools.compare_offers(candle.product_id)
    offers = answer["offers"]
    assert {o["merchant_id"] for o in offers} == {MERCHANT.merchant_id, SECOND.merchant_id}
    totals = [Decimal(o["total"]["amount"]) for o in offers]
    assert totals == sorted(totals)
    elsewhere = answer["cheaper_elsewhere"]
    assert elsewhere["cheaper"] is True
    assert elsewhere["best"]["merchant_id"] == MERCHANT.merchant_id
    with pytest.raises(ToolRefused) as refused:
        tools.compare_offers("p_no_such_thing")
    assert refused.value.code == "unknown-product"


def test_the_agents_reads_are_signed_and_for_agents_only(
    foreign: tuple[ShoppingTools, Deployment],
) -> None:
    _, deployment = foreign
    base = deployment.endpoints.merchant
    product = foreign_products()[0].product_id
    for path in ("/catalog/vocabulary", f"/products/{product}/offers"):
        assert httpx.get(base + path).status_code == 401  # unsigned
        as_psp = httpx.get(base + path, auth=AgentRequestSigner(deployment.keys.get("psp")))
        assert as_psp.status_code == 403
        assert as_psp.json()["code"] == "role-not-allowed"
        with deployment.agent_client(base) as agent:
            assert agent.get(path).status_code == 200
    with deployment.agent_client(base) as agent:
        bad = agent.get(f"/products/{product}/offers", params={"lat": "91", "lon": "0"})
        assert bad.status_code == 400
