"""The shopper's pages in a real Chromium: ask, compare, approve by signing in the browser, pay.

The person's key is made by the page's module (WebCrypto Ed25519, non-extractable, in
IndexedDB); every signature is clicked on the page over the bytes it shows. The tests: in
English a purchase is signed (IAC, its log record, the binding, the L1 approval of the
confirmed cart) and paid, the order's evidence bundle verifies with the trusted keys, and no
request leaves loopback; in Chinese a total changed in the page before signing is refused by
the server, and then the untouched approval pays; a standing order is paid, revoked on "my
delegations" (the revocation signed in the browser), and the next purchase under it is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.browser import browser_context, require_chromium
from tests.helpers.shop_pages import STANDING, WAIT, approve, open_chat, send, sign_all
from trustcart.local.evidence import write_trusted_keys
from trustcart.web.server import RunningWeb, running_web

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWeb]:
    require_chromium()
    home = tmp_path_factory.mktemp("shop")
    with running_web(home, f"sqlite:///{home / 'trustcart.db'}") as running:
        yield running


def test_english_purchase_signed_in_the_browser_and_paid(web: RunningWeb, tmp_path: Path) -> None:
    with browser_context(locale="en-US") as (context, log):
        page = context.new_page()
        open_chat(page, web.url)
        assert page.locator("html").get_attribute("lang") == "en"
        reply = send(page, "2 pearl milk teas")
        assert "option" in reply
        shown = page.locator("[data-options] .card").count()
        assert shown >= 2
        assert str(page.locator("[data-options] img").first.get_attribute("src")).startswith(
            "/pictures/"
        )  # the product's picture, served by the app itself
        page.click("text=Compare the options side by side")
        assert page.locator("[data-compare] [data-total]").count() == shown
        page.go_back()
        send(page, "the first one")
        total = page.locator("[data-approval-total]").inner_text()
        kinds = approve(page)
        assert kinds == ["iac", "registration", "record", "binding", "approval"]
        assert page.locator("#reply").get_attribute("data-paid") == "true", page.content()[:2000]
        page.goto(f"{web.url}/my/orders")
        row = page.locator("[data-order]").first
        assert row.locator("[data-status]").inner_text() in ("PAID", "FULFILLED")
        assert total.split()[0] in row.inner_text()
        with page.expect_download() as download:
            row.get_by_role("link", name="Download the evidence bundle").click()
        bundle = tmp_path / "bundle.json"
        download.value.save_as(bundle)
        row.locator("[data-verify]").click()
        assert page.locator("[data-verified]").get_attribute("data-verified") == "true"
        assert page.locator("[data-check][data-passed='false']").count() == 0
        assert page.locator("[data-check]").count() > 3
        assert page.locator("script:not([src])").count() == 0
        assert log.off_loopback() == []
    trusted = write_trusted_keys(web.deployment, tmp_path)
    from typer.testing import CliRunner

    import trustcart.cli.commands  # noqa: F401 - registers every command
    from trustcart.cli.app import app

    result = CliRunner().invoke(app, ["verify", str(bundle), "--trusted-keys", str(trusted)])
    assert result.exit_code == 0, result.output
    assert json.loads(bundle.read_text(encoding="utf-8"))


def test_chinese_tampered_total_is_refused_then_the_shown_one_pays(web: RunningWeb) -> None:
    with browser_context(locale="zh-CN") as (context, _log):
        page = context.new_page()
        open_chat(page, web.url)
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        send(page, "两杯珍珠奶茶")
        assert page.locator("[data-options] .card").count() >= 1
        send(page, "第一个")
        total = page.locator("[data-approval-total]").inner_text().split()[0]
        kinds = approve(
            page, tamper_total=(f'"max_total_amount":"{total}"', '"max_total_amount":"1.00"')
        )
        assert kinds == ["iac"]
        assert page.locator("#reply").get_attribute("data-refusal") == "authorization-failed"
        page.goto(f"{web.url}/my/orders")
        assert page.locator("[data-order]").count() == 0
        page.goto(f"{web.url}/chat")
        send(page, "两杯珍珠奶茶")
        send(page, "第一个")
        assert approve(page) == ["iac", "registration", "record", "binding", "approval"]
        assert page.locator("#reply").get_attribute("data-paid") == "true"
        page.goto(f"{web.url}/my/orders")
        assert page.locator("[data-order]").count() == 1
        assert "我的订单" in page.locator("h1").inner_text()


def test_revoked_in_the_browser_then_the_next_purchase_is_refused(web: RunningWeb) -> None:
    with browser_context(locale="en-US") as (context, _log):
        page = context.new_page()
        open_chat(page, web.url)
        send(page, STANDING)
        send(page, "the first one")
        assert approve(page) == [
            "iac",
            "registration",
            "record",
            "binding",
        ]  # L2: no per-cart approval
        assert page.locator("#reply").get_attribute("data-paid") == "true"
        page.goto(f"{web.url}/my/delegations")
        page.wait_for_selector("#key-status[data-state='ready']", timeout=WAIT)
        row = page.locator("[data-delegation]").first
        assert row.locator("[data-status]").inner_text() == "Active"
        row.get_by_role("button", name="Revoke").click()
        assert sign_all(page) == ["transition"]
        page.wait_for_selector("[data-delegation] [data-status]", timeout=WAIT)
        row = page.locator("[data-delegation]").first
        assert row.locator("[data-status]").inner_text() == "Revoked"
        open_chat(page, web.url)
        send(page, "again")
        assert page.locator("#reply").get_attribute("data-paid") == "false"
        assert page.locator("#reply").get_attribute("data-refusal") is not None
