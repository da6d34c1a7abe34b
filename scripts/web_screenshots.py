"""Screenshots of the web app's main pages, for docs/screenshots/ (linked from the README).

Runs the whole app on a throwaway $TRUSTCART_HOME (seeded store, every role on loopback),
onboards a merchant and imports a catalog with bad rows in the browser, buys from it with the
shopping tools and refunds part of it in the console, then photographs each page in Chromium
(the same Playwright set-up as the browser tests: Debian's chromium, offline):

    PYTHONPATH=src:. .venv/bin/python scripts/web_screenshots.py [OUT_DIR]

OUT_DIR defaults to docs/screenshots. Chinese text needs a CJK font (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.helpers.browser import browser_context
from tests.helpers.screenshots import shoot
from tests.helpers.web import CATALOG_CSV, MERCHANT_FORM, MERCHANT_ID, PRODUCT_QUERY, buy, log_in

from trustcart.local.market import Clients, tools_for
from trustcart.web.server import RunningWeb


def console_pages(web: RunningWeb, out: Path, _scratch: Path) -> list[str]:
    """The shop and the console in English at desktop width; the requests that left loopback."""
    password = web.services.secrets.console_password
    with browser_context(width=1280, height=860) as (context, log):
        page = context.new_page()
        page.goto(f"{web.url}/?q=pearl+milk+tea")
        page.screenshot(path=out / "shop-search.png", full_page=True)
        log_in(page, web.url, password)
        page.goto(f"{web.url}/console/merchants/new")
        for name, value in MERCHANT_FORM.items():
            page.fill(f"#{name}", value)
        page.fill("#coupon_0_value", "2")
        page.fill("#coupon_0_threshold", "10")
        page.fill("#coupon_0_description", "2 off 10")
        page.screenshot(path=out / "console-onboarding.png", full_page=True)
        with page.expect_navigation():
            page.get_by_role("button", name="Create the merchant").click()
        page.screenshot(path=out / "console-merchant.png", full_page=True)
        upload = web.services.home / "osmanthus.csv"
        upload.write_text(CATALOG_CSV, encoding="utf-8")
        page.goto(f"{web.url}/console/merchants/{MERCHANT_ID}/import")
        page.set_input_files("#catalog", str(upload))
        with page.expect_navigation():
            page.get_by_role("button", name="Import").click()
        page.wait_for_selector("#import-progress[data-state='done']")
        page.screenshot(path=out / "console-import.png", full_page=True)
        clients = Clients()
        try:
            paid = buy(tools_for(web.deployment, clients), PRODUCT_QUERY, MERCHANT_ID)
        finally:
            clients.close()
        order = paid["orders"][0]["out_trade_no"]
        page.goto(f"{web.url}/console/merchants/{MERCHANT_ID}/orders")
        row = page.locator(f"[data-order='{order}']")
        row.locator("input[name='amount']").fill("1.50")
        row.locator("input[name='reason']").fill("cup arrived cold")
        with page.expect_navigation():
            row.get_by_role("button", name="Refund").click()
        page.screenshot(path=out / "console-orders.png", full_page=True)
        for path, name in (
            (f"/console/merchants/{MERCHANT_ID}/products", "console-products.png"),
            ("/console/roi?days=7", "console-roi.png"),
        ):
            page.goto(f"{web.url}{path}")
            page.screenshot(path=out / name, full_page=True)
        page.goto(f"{web.deployment.endpoints.merchant}/docs")
        page.wait_for_selector(".swagger-ui .info .title")
        page.screenshot(path=out / "api-docs-offline.png")
        return log.off_loopback()


def phone_pages(web: RunningWeb, out: Path, _scratch: Path) -> list[str]:
    """The shop and the ROI page in Chinese at a phone's width."""
    with browser_context(width=390, height=844, locale="zh-CN") as (context, log):
        page = context.new_page()
        page.goto(f"{web.url}/?q=桂花云顶乌龙")
        page.screenshot(path=out / "shop-search-zh-phone.png", full_page=True)
        log_in(page, web.url, web.services.secrets.console_password)
        page.goto(f"{web.url}/console/roi?days=7")
        page.screenshot(path=out / "console-roi-zh-phone.png", full_page=True)
        return log.off_loopback()


def main() -> int:
    return shoot((console_pages, phone_pages), sys.argv)


if __name__ == "__main__":
    raise SystemExit(main())
