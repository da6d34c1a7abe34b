"""The web app in a real Chromium (Playwright), against every role running on loopback.

One running app (``web.server.running_web``: a seeded store, real uvicorn servers) serves the
module. The tests, in order: a merchant is onboarded in the console and its key is published;
it imports a CSV with bad rows (progress, rejected lines and the error report shown) and its
product is then found by the shopping tools' search and on the shopper's page; a purchase and
a refund later, the ROI page's figures equal ``trustcart roi --json`` and the ledger; no page
makes a request off loopback, every page carries the CSP and has no inline script; the APIs'
``/docs`` render offline; the pages follow the browser's language, switch, and fit a phone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401 - registers every command
from tests.helpers.browser import browser_context, require_chromium
from tests.helpers.web import (
    BAD_LINES,
    CATALOG_CSV,
    GOOD_ROWS,
    MERCHANT_FORM,
    MERCHANT_ID,
    PRODUCT_ID,
    PRODUCT_QUERY,
    buy,
    figures,
    log_in,
)
from trustcart.assistant.errors import ToolRefused
from trustcart.cli.app import app
from trustcart.local.market import Clients, tools_for
from trustcart.payments.ledger_store import check_balanced
from trustcart.store.payments import LedgerEntryRow, LedgerPostingRow
from trustcart.web.server import RunningWeb, running_web

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWeb]:
    require_chromium()
    home = tmp_path_factory.mktemp("web")
    with running_web(home, f"sqlite:///{home / 'trustcart.db'}") as running:
        yield running


@pytest.fixture(scope="module")
def onboarded(web: RunningWeb) -> dict[str, object]:
    """The merchant of MERCHANT_FORM, created and its catalog imported through the browser."""
    with browser_context() as (context, log):
        page = context.new_page()
        log_in(page, web.url, web.services.secrets.console_password)
        page.goto(f"{web.url}/console/merchants/new")
        for name, value in MERCHANT_FORM.items():
            page.fill(f"#{name}", value)
        page.fill("#coupon_0_value", "2")
        page.fill("#coupon_0_threshold", "10")
        page.fill("#coupon_0_description", "2 off 10")
        with page.expect_navigation():
            page.get_by_role("button", name="Create the merchant").click()
        created = page.locator("[data-flash='merchant.created']").inner_text()
        kid = page.locator("[data-kid]").inner_text()

        page.get_by_role("link", name="Import a catalog").click()
        upload = Path(web.services.home) / "osmanthus.csv"
        upload.write_text(CATALOG_CSV, encoding="utf-8")
        page.set_input_files("#catalog", str(upload))
        with page.expect_navigation():
            page.get_by_role("button", name="Import").click()
        page.wait_for_selector("#import-progress[data-state='done']", timeout=30_000)
        counts = {
            name: page.locator(f"[data-count='{name}']").inner_text()
            for name in ("rows_read", "inserted", "updated", "rejected")
        }
        lines = [
            int(row.get_attribute("data-issue-line") or 0)
            for row in page.locator("[data-issue-line]").all()
        ]
        with page.expect_download() as download:
            page.locator("[data-error-report]").click()
        report = Path(download.value.path()).read_text(encoding="utf-8")
    return {  # one Playwright at a time: the browser is closed before the tests use it
        "created": created,
        "kid": kid,
        "counts": counts,
        "lines": lines,
        "report": report,
        "off_loopback": log.off_loopback(),
    }


def test_a_merchant_is_onboarded_and_its_key_published(
    web: RunningWeb, onboarded: dict[str, object]
) -> None:
    assert MERCHANT_ID in str(onboarded["created"])
    kid = str(onboarded["kid"])
    published = httpx.get(f"{web.deployment.endpoints.merchant}/.well-known/jwks.json").json()
    assert kid in [key["kid"] for key in published["keys"]]
    entry = web.deployment.directory.resolve(kid)
    assert entry is not None
    assert (entry.party_id, entry.role) == (MERCHANT_ID, "merchant")


def test_the_import_shows_progress_rejected_lines_and_an_error_report(
    onboarded: dict[str, object],
) -> None:
    assert onboarded["counts"] == {
        "rows_read": "6",
        "inserted": str(GOOD_ROWS),
        "updated": "0",
        "rejected": str(len(BAD_LINES)),
    }
    assert onboarded["lines"] == list(BAD_LINES)
    report = str(onboarded["report"]).splitlines()
    assert report[0] == "line,reason"
    assert [int(row.split(",")[0]) for row in report[1:]] == list(BAD_LINES)
    assert "duplicate product_id" in report[3]
    assert onboarded["off_loopback"] == []


def test_the_imported_product_is_found_by_search(
    web: RunningWeb, onboarded: dict[str, object]
) -> None:
    found = web.services.shopping.search(PRODUCT_QUERY, limit=5)
    assert found[0]["product_id"] == PRODUCT_ID
    assert found[0]["merchant_id"] == MERCHANT_ID
    with browser_context() as (context, log):
        page = context.new_page()
        page.goto(f"{web.url}/?q=桂花云顶乌龙")
        card = page.locator(f"[data-product-id='{PRODUCT_ID}']")
        assert card.count() == 1
        assert "Osmanthus Lane Tea" in card.inner_text()
        assert log.off_loopback() == []


def _ledger_gmv(web: RunningWeb) -> tuple[int, int]:
    """(minor units credited to merchants by payments, number of payments), from the ledger."""
    with web.deployment.db.transaction() as session:
        check_balanced(session)
        rows = session.execute(
            select(LedgerPostingRow.signed_minor)
            .join(LedgerEntryRow, LedgerEntryRow.entry_id == LedgerPostingRow.entry_id)
            .where(LedgerEntryRow.kind == "payment", LedgerPostingRow.account.like("merchant:%"))
        ).all()
    return -sum(r[0] for r in rows), len(rows)


def test_roi_page_equals_the_cli_and_the_ledger(
    web: RunningWeb, onboarded: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = Clients()
    try:
        tools = tools_for(web.deployment, clients)
        paid = buy(tools, PRODUCT_QUERY, MERCHANT_ID)
        with pytest.raises(ToolRefused):  # paying twice is refused, and the refusal logged
            tools.pay(paid["proposal_id"])
    finally:
        clients.close()
    order = paid["orders"][0]["out_trade_no"]
    with browser_context() as (context, log):
        page = context.new_page()
        log_in(page, web.url, web.services.secrets.console_password)
        page.goto(f"{web.url}/console/merchants/{MERCHANT_ID}/orders")
        row = page.locator(f"[data-order='{order}']")
        row.locator("input[name='amount']").fill("1.50")
        with page.expect_navigation():
            row.get_by_role("button", name="Refund").click()
        assert page.locator("[data-flash='refund.done']").count() == 1
        assert "1.50" in page.locator(f"[data-order='{order}'] [data-refunded]").inner_text()
        page.goto(f"{web.url}/console/roi?days=7")
        shown = figures(page)
        refusals = {
            element.get_attribute("data-refusal"): int(element.inner_text())
            for element in page.locator("[data-refusal]").all()
        }
        assert log.off_loopback() == []

    monkeypatch.setenv("TRUSTCART_HOME", str(web.services.home))
    monkeypatch.setenv("TRUSTCART_DATABASE_URL", web.deployment.db.url)
    result = CliRunner().invoke(app, ["roi", "--days", "7", "--json"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert shown["gmv"] == totals["gmv"]["amount"]
    assert shown["orders"] == str(totals["orders"])
    assert shown["average_order_value"] == totals["average_order_value"]["amount"]
    assert shown["refunds"] == totals["refunds"]["amount"]["amount"] == "1.50"
    assert shown["net"] == totals["net"]["amount"]
    for stage in ("intents", "options_shown", "carts_confirmed", "paid"):
        assert shown[f"funnel.{stage}"] == str(totals["funnel"][stage])
    assert shown["assistant_ms_per_order"] == (totals["compute"]["assistant_ms_per_order"] or "")
    assert refusals == totals["refusals"]
    assert refusals.get("already-paid") == 1

    gmv_minor, payments = _ledger_gmv(web)
    assert totals["orders"] == payments >= 1
    assert totals["gmv"]["amount"] == f"{gmv_minor // 100}.{gmv_minor % 100:02d}"
    assert totals["funnel"]["paid"] >= 1
    assert totals["funnel"]["options_shown"] >= totals["funnel"]["paid"]


def _page_checks(page: object) -> dict[str, int]:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    return {
        "inline_scripts": page.locator("script:not([src])").count(),
        "inline_styles": page.locator("style, [style]").count(),
        "inline_handlers": int(
            page.evaluate(
                "() => [...document.querySelectorAll('*')].filter(e => "
                "[...e.attributes].some(a => a.name.startsWith('on'))).length"
            )
        ),
    }


ACCESSIBILITY = """() => {
  const problems = [];
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (el.hidden) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label")
      || el.getAttribute("aria-labelledby");
    if (!named) problems.push("unlabelled control " + (el.name || el.id));
  }
  for (const b of document.querySelectorAll("button, a[href]")) {
    const named = b.textContent.trim() || b.getAttribute("aria-label");
    if (!named) problems.push("unnamed " + b.outerHTML);
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push("image without alt");
  }
  if (document.querySelectorAll("h1").length !== 1) problems.push("not one h1");
  for (const landmark of ["header", "nav", "main", "footer"]) {
    if (!document.querySelector(landmark)) problems.push("no " + landmark);
  }
  for (const nav of document.querySelectorAll("nav")) {
    if (!nav.getAttribute("aria-label")) problems.push("nav without a name");
  }
  if (!document.documentElement.lang) problems.push("no lang");
  if (!document.querySelector("a.skip-link[href='#main']")) problems.push("no skip link");
  return problems;
}"""


def test_pages_stay_on_loopback_with_csp_and_no_inline_script(
    web: RunningWeb, onboarded: dict[str, object]
) -> None:
    """Also that each page is named and labelled for a screen reader (ACCESSIBILITY)."""
    paths = [
        "/",
        "/?q=pearl+milk+tea",
        "/console/login",
        "/console",
        "/console/merchants/new",
        f"/console/merchants/{MERCHANT_ID}",
        f"/console/merchants/{MERCHANT_ID}/products",
        f"/console/merchants/{MERCHANT_ID}/import",
        f"/console/merchants/{MERCHANT_ID}/orders",
        f"/console/merchants/{MERCHANT_ID}/coupons",
        "/console/roi",
    ]
    with browser_context() as (context, log):
        page = context.new_page()
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        log_in(page, web.url, web.services.secrets.console_password)
        for path in paths:
            response = page.goto(f"{web.url}{path}")
            assert response is not None, path
            assert response.status == 200, path
            policy = response.headers["content-security-policy"]
            assert "script-src 'self'" in policy, path
            assert "unsafe-inline" not in policy, path
            assert "frame-ancestors 'none'" in policy
            assert response.headers["x-content-type-options"] == "nosniff"
            assert _page_checks(page) == {
                "inline_scripts": 0,
                "inline_styles": 0,
                "inline_handlers": 0,
            }, path
            assert page.evaluate(ACCESSIBILITY) == [], path
        assert violations == []
        assert [u for u in log.urls if u.startswith(web.url)], "nothing was recorded"
        assert log.off_loopback() == []
        assert all(u.startswith("http://127.0.0.1:") for u in log.urls)


@pytest.mark.parametrize("role", ["status", "trust", "merchant", "psp"])
def test_api_docs_render_offline(web: RunningWeb, role: str) -> None:
    base = getattr(web.deployment.endpoints, role)
    with browser_context() as (context, log):
        page = context.new_page()
        page.goto(f"{base}/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "trustcart" in page.locator(".swagger-ui .info .title").inner_text()
        assert page.locator(".opblock").count() > 0
        assert log.off_loopback() == []


def test_language_follows_the_browser_switches_and_fits_a_phone(web: RunningWeb) -> None:
    with browser_context(width=375, height=740, locale="zh-CN") as (context, log):
        page = context.new_page()
        page.goto(f"{web.url}/")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.locator("h1").inner_text() == "一次搜遍所有店铺"
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375
        page.select_option("#language-select", "en")
        with page.expect_navigation():
            page.get_by_role("button", name="切换").click()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("h1").inner_text() == "Find it across every shop"
        page.goto(f"{web.url}/console/login")
        page.keyboard.press("Tab")  # the skip link comes first, for keyboard users
        assert page.evaluate("() => document.activeElement.className") == "skip-link"
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        assert log.off_loopback() == []
