"""Screenshots of product pictures and try-on, for docs/screenshots/ (linked from docs/web.md).

Runs the whole app on a throwaway $TRUSTCART_HOME, then in Chromium (the browser tests' set-up:
Debian's chromium, offline): the chat's option cards with their pictures, the compare view,
the try-on page with a preview (scikit-image's astronaut photo, public domain), the console's
products with pictures and a merchant's picture upload; then, in Chinese at a phone's width,
the option cards and the try-on page refusing a file that is not a photo:

    PYTHONPATH=src:. .venv/bin/python scripts/tryon_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.helpers.browser import browser_context
from tests.helpers.shop_pages import WAIT, open_chat, send
from tests.helpers.web import log_in

from trustcart.tryon.samples import person_photo
from trustcart.web.server import RunningWeb, running_web

ROOT = Path(__file__).resolve().parents[1]


def english(web: RunningWeb, out: Path, scratch: Path) -> list[str]:
    with browser_context(locale="en-US") as (context, log):
        page = context.new_page()
        open_chat(page, web.url)
        send(page, "2 pearl milk teas")
        page.screenshot(path=out / "shop-chat-options.png", full_page=True)
        page.goto(f"{web.url}/chat/compare")
        page.screenshot(path=out / "shop-compare.png", full_page=True)
        page.goto(f"{web.url}/chat")
        send(page, "sunglasses")
        with page.expect_navigation():
            page.locator("[data-options] [data-tryon]").first.click()
        photo = scratch / "astronaut.png"
        photo.write_bytes(person_photo("astronaut"))
        page.set_input_files("#photo", str(photo))
        with page.expect_navigation():
            page.click("#tryon-submit")
        page.wait_for_selector("#preview", timeout=WAIT)
        page.screenshot(path=out / "shop-tryon.png", full_page=False)
        product_id = page.locator("[data-choice]:checked").get_attribute("data-choice")
        merchant_id = _merchant_of(web, str(product_id))
        log_in(page, web.url, web.services.secrets.console_password)
        page.goto(f"{web.url}/console/merchants/{merchant_id}/products")
        page.screenshot(path=out / "console-products.png", full_page=False)
        page.goto(f"{web.url}/console/merchants/{merchant_id}/products/{product_id}/picture")
        page.screenshot(path=out / "console-product-picture.png", full_page=True)
        return log.off_loopback()


def _merchant_of(web: RunningWeb, product_id: str) -> str:
    from trustcart.store.commerce import ProductRow

    with web.deployment.db.transaction() as session:
        row = session.get(ProductRow, product_id)
        assert row is not None
        return row.merchant_id


def chinese_phone(web: RunningWeb, out: Path, scratch: Path) -> list[str]:
    with browser_context(width=390, height=844, locale="zh-CN") as (context, log):
        page = context.new_page()
        open_chat(page, web.url)
        send(page, "两杯珍珠奶茶")
        send(page, "第一个")
        page.screenshot(path=out / "shop-chat-zh-phone.png", full_page=True)
        bad = scratch / "photo.jpg"
        bad.write_text("not a photo", encoding="utf-8")
        page.goto(f"{web.url}/tryon")
        page.set_input_files("#photo", str(bad))
        with page.expect_navigation():
            page.click("#tryon-submit")
        page.screenshot(path=out / "shop-tryon-zh-phone.png", full_page=False)
        return log.off_loopback()


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        with running_web(scratch, f"sqlite:///{scratch / 'trustcart.db'}") as web:
            off = english(web, out, scratch) + chinese_phone(web, out, scratch)
    if off:
        sys.stderr.write(f"requests left loopback: {off}\n")
        return 1
    sys.stdout.write(f"screenshots in {out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
