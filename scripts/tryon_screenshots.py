"""Screenshots of try-on and product pictures, for docs/screenshots/ (linked from docs/web.md).

Runs the whole app on a throwaway $TRUSTCART_HOME, then in Chromium (the browser tests' set-up:
Debian's chromium, offline): the try-on page with a preview (scikit-image's astronaut photo,
public domain) reached from an option card, and a merchant's picture upload in the console;
then, in Chinese at a phone's width, the try-on page refusing a file that is not a photo. The
option cards and the console's product list (with their pictures) are shot by
``shop_screenshots.py`` and ``web_screenshots.py``:

    PYTHONPATH=src:. .venv/bin/python scripts/tryon_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.helpers.browser import browser_context
from tests.helpers.screenshots import shoot
from tests.helpers.shop_pages import WAIT, open_chat, send
from tests.helpers.web import log_in

from trustcart.tryon.samples import person_photo
from trustcart.web.server import RunningWeb


def english(web: RunningWeb, out: Path, scratch: Path) -> list[str]:
    with browser_context(locale="en-US") as (context, log):
        page = context.new_page()
        open_chat(page, web.url)
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
        bad = scratch / "photo.jpg"
        bad.write_text("not a photo", encoding="utf-8")
        page.goto(f"{web.url}/tryon")
        page.set_input_files("#photo", str(bad))
        with page.expect_navigation():
            page.click("#tryon-submit")
        page.screenshot(path=out / "shop-tryon-zh-phone.png", full_page=False)
        return log.off_loopback()


def main() -> int:
    return shoot((english, chinese_phone), sys.argv)


if __name__ == "__main__":
    raise SystemExit(main())
