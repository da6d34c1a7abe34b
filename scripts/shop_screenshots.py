"""Screenshots of the shopper's pages, for docs/screenshots/ (linked from docs/web.md).

Runs the whole app on a throwaway $TRUSTCART_HOME, then in Chromium (the browser tests'
set-up: Debian's chromium, offline) asks for milk tea, photographs the options, the compare
view, the signing panel with the exact IAC payload, the paid reply, "my orders", the evidence
verification and "my delegations"; then the chat in Chinese at a phone's width:

    PYTHONPATH=src:. .venv/bin/python scripts/shop_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.helpers.browser import browser_context
from tests.helpers.screenshots import shoot
from tests.helpers.shop_pages import WAIT, open_chat, send, sign_all

from trustcart.web.server import RunningWeb


def english(web: RunningWeb, out: Path, _scratch: Path) -> list[str]:
    with browser_context(locale="en-US") as (context, log):
        page = context.new_page()
        open_chat(page, web.url)
        send(page, "2 pearl milk teas")
        page.screenshot(path=out / "shop-chat-options.png", full_page=True)
        page.goto(f"{web.url}/chat/compare")
        page.screenshot(path=out / "shop-compare.png", full_page=True)
        page.goto(f"{web.url}/chat")
        send(page, "the first one")
        page.click("#approve")
        page.wait_for_selector("#signing[data-state='awaiting']", timeout=WAIT)
        page.screenshot(path=out / "shop-sign-iac.png", full_page=True)
        sign_all(page)
        page.screenshot(path=out / "shop-chat-paid.png", full_page=True)
        page.goto(f"{web.url}/my/orders")
        page.screenshot(path=out / "shop-my-orders.png", full_page=True)
        page.locator("[data-verify]").first.click()
        page.screenshot(path=out / "shop-verification.png", full_page=True)
        page.goto(f"{web.url}/my/delegations")
        page.wait_for_selector("#key-status[data-state='ready']", timeout=WAIT)
        page.screenshot(path=out / "shop-my-delegations.png", full_page=True)
        return log.off_loopback()


def chinese_phone(web: RunningWeb, out: Path, _scratch: Path) -> list[str]:
    with browser_context(width=390, height=844, locale="zh-CN") as (context, log):
        page = context.new_page()
        open_chat(page, web.url)
        send(page, "两杯珍珠奶茶")
        send(page, "第一个")
        page.screenshot(path=out / "shop-chat-zh-phone.png", full_page=True)
        return log.off_loopback()


def main() -> int:
    return shoot((english, chinese_phone), sys.argv)


if __name__ == "__main__":
    raise SystemExit(main())
