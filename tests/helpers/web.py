"""Shared pieces of the web tests: a new merchant near Alice, a catalog with bad rows, a purchase.

The merchant sits beside West Lake (where the demo's Alice shops), so the assistant's intent
context reaches it; its catalog has three good rows and three bad ones, each bad for another
reason, with the line numbers the importer reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trustcart.assistant.proposals import ApprovalRequest
from trustcart.assistant.tools import ShoppingTools

if TYPE_CHECKING:
    from playwright.sync_api import Page

MERCHANT_FORM = {
    "name": "Osmanthus Lane Tea",
    "name_zh": "桂花巷茶铺",
    "lat": "30.2600",
    "lon": "120.1310",
    "delivery_radius_km": "5",
    "shipping_fee": "2",
    "currency": "CNY",
    "categories": "drinks/milk-tea, drinks/fruit-tea",
}
MERCHANT_ID = "m_osmanthus_lane_tea"
PRODUCT_ID = "p_osm_cloud_oolong"
PRODUCT_QUERY = "osmanthus cloud oolong"
CATALOG_CSV = (
    "product_id,title,title_zh,brand,category,price,currency,stock,delivery_minutes,attributes\n"
    f"{PRODUCT_ID},Osmanthus Cloud Oolong,桂花云顶乌龙,Osmanthus Lane,drinks/milk-tea,9.50,CNY,"
    '50,25,"{""size"": ""regular""}"\n'
    "p_osm_peach_soda,Osmanthus Peach Soda,桂花蜜桃气泡,Osmanthus Lane,drinks/fruit-tea,11.00,"
    "CNY,40,25,\n"
    "p_osm_bad_price,Broken Price Tea,,Osmanthus Lane,drinks/milk-tea,abc,CNY,10,25,\n"
    "p_osm_no_title,,,Osmanthus Lane,drinks/milk-tea,8.00,CNY,10,25,\n"
    f"{PRODUCT_ID},Osmanthus Cloud Oolong again,,Osmanthus Lane,drinks/milk-tea,9.50,CNY,5,25,\n"
    "p_osm_jasmine,Osmanthus Jasmine Milk Tea,桂花茉莉奶茶,Osmanthus Lane,drinks/milk-tea,12.00,"
    "CNY,30,25,\n"
)
GOOD_ROWS, BAD_LINES = 3, (4, 5, 6)


def approve_everything(_request: ApprovalRequest) -> bool:
    return True


def buy(tools: ShoppingTools, query: str, merchant_id: str) -> dict[str, Any]:
    """Compare, pick the option from ``merchant_id``, approve it and pay; the paid proposal."""
    turn = tools.compare(query)
    option = next(
        o for o in turn["options"] if all(i["merchant_id"] == merchant_id for i in o["items"])
    )
    proposal = tools.propose_cart(option["option_id"])
    approval = tools.request_approval(proposal["proposal_id"], approve_everything)
    assert approval["approved"], approval
    return tools.pay(proposal["proposal_id"])


def log_in(page: Page, base_url: str, password: str) -> None:
    page.goto(f"{base_url}/console")
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert page.url.rstrip("/").endswith("/console"), page.url


def figures(page: Page) -> dict[str, str]:
    """Every ``data-figure`` on the page with its exact ``data-value``."""
    return {
        element.get_attribute("data-figure") or "": element.get_attribute("data-value") or ""
        for element in page.locator("[data-figure]").all()
    }
