"""Try-on and product pictures in a real Chromium (one web app and one browser for the module).

The tests: the chat's option cards show pictures that load (``naturalWidth > 0``) from this
origin, and a card's "Try on" link opens the try-on page with that product chosen, where an
uploaded photo comes back as a preview; a file that is not a picture gets its message in
English, then in Chinese after switching the language, at a phone's width; a merchant uploads
a picture in the console and the shopper's card shows exactly that picture. No request leaves
loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers.browser import RequestLog, browser_context, require_chromium
from tests.helpers.pictures import encoded
from tests.helpers.shop_pages import WAIT, open_chat, send
from tests.helpers.web import log_in
from trustcart.store.commerce import ProductRow
from trustcart.web.messages import MESSAGES
from trustcart.web.server import RunningWeb, running_web

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.slow

CARD_PICTURES = (
    "() => [...document.querySelectorAll('[data-options] img[data-picture=product]')]"
    ".map(i => ({src: i.currentSrc, width: i.naturalWidth, alt: i.alt,"
    " same: new URL(i.currentSrc).origin === location.origin}))"
)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWeb]:
    require_chromium()
    home = tmp_path_factory.mktemp("tryonweb")
    with running_web(home, f"sqlite:///{home / 'trustcart.db'}") as running:
        yield running


@pytest.fixture(scope="module")
def browser(web: RunningWeb) -> Iterator[tuple[BrowserContext, RequestLog]]:
    with browser_context(locale="en-US") as opened:
        yield opened


@pytest.fixture
def page(browser: tuple[BrowserContext, RequestLog]) -> Iterator[Page]:
    opened = browser[0].new_page()
    yield opened
    opened.close()


def _submit(page: Page) -> None:
    with page.expect_navigation():
        page.click("#tryon-submit")


def test_cards_show_pictures_from_here_and_try_on_shows_a_preview(
    web: RunningWeb, page: Page, browser: tuple[BrowserContext, RequestLog], tmp_path: Path
) -> None:
    pytest.importorskip("cv2")
    pytest.importorskip("skimage")
    from trustcart.tryon.samples import person_photo

    open_chat(page, web.url)
    send(page, "sunglasses")
    pictures = page.evaluate(CARD_PICTURES)
    assert len(pictures) >= 2
    assert all(p["width"] > 0 and p["same"] and "/pictures/" in p["src"] for p in pictures)
    assert all(p["alt"] for p in pictures)  # the product's title
    link = page.locator("[data-options] [data-tryon]").first
    product_id = link.get_attribute("data-tryon")
    with page.expect_navigation():
        link.click()
    chosen = page.locator(f"[data-choice='{product_id}']")
    assert chosen.is_checked()
    assert chosen.get_attribute("data-from-chat") is not None
    photo = tmp_path / "me.png"
    photo.write_bytes(person_photo("astronaut"))
    page.set_input_files("#photo", str(photo))
    _submit(page)
    page.wait_for_selector("#preview", timeout=WAIT)
    assert page.evaluate("() => document.getElementById('preview').naturalWidth") == 512
    assert page.locator("[data-approximate]").inner_text() == MESSAGES["en"]["tryon.notice"]
    assert page.locator("script:not([src])").count() == 0
    assert browser[1].off_loopback() == []


def test_a_file_that_is_not_a_picture_gets_its_message_in_both_languages(
    web: RunningWeb, page: Page, tmp_path: Path
) -> None:
    bad = tmp_path / "photo.jpg"
    bad.write_text("this is not a photo", encoding="utf-8")
    key = "tryon.error.picture-unreadable"
    page.set_viewport_size({"width": 375, "height": 800})  # a phone
    page.goto(f"{web.url}/tryon")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.set_input_files("#photo", str(bad))
    _submit(page)
    assert page.locator("#tryon-error").inner_text() == MESSAGES["en"][key]
    assert page.locator("#tryon-error").get_attribute("role") == "alert"
    page.select_option("#language-select", "zh")
    with page.expect_navigation():
        page.locator("form.language button").click()
    page.set_input_files("#photo", str(bad))
    _submit(page)
    assert page.locator("#tryon-error").inner_text() == MESSAGES["zh"][key]
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.select_option("#language-select", "en")
    with page.expect_navigation():
        page.locator("form.language button").click()


def test_a_merchant_uploads_a_picture_and_the_shopper_sees_it(
    web: RunningWeb, page: Page, tmp_path: Path
) -> None:
    open_chat(page, web.url)
    send(page, "2 pearl milk teas")
    product_id = page.locator("[data-options] [data-product-id]").first.get_attribute(
        "data-product-id"
    )
    before = page.evaluate(CARD_PICTURES)[0]
    assert before["width"] == 512  # the generated drawing
    with web.deployment.db.transaction() as session:
        row = session.get(ProductRow, product_id)
        assert row is not None
        merchant_id = row.merchant_id
    log_in(page, web.url, web.services.secrets.console_password)
    page.goto(f"{web.url}/console/merchants/{merchant_id}/products?q={product_id}")
    row_picture = page.locator(f"tr[data-product-id='{product_id}'] img[data-picture=product]")
    assert page.evaluate("(img) => img.naturalWidth", row_picture.element_handle()) == 512
    with page.expect_navigation():
        page.locator(f"tr[data-product-id='{product_id}'] [data-change-picture]").click()
    upload = tmp_path / "tea.jpg"
    upload.write_bytes(encoded("JPEG", (300, 200), (30, 140, 90)))
    page.set_input_files("#picture", str(upload))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload the picture").click()
    assert page.locator("[data-picture-saved]").count() == 1
    page.goto(f"{web.url}/chat")
    after = page.evaluate(CARD_PICTURES)[0]
    assert after["src"] != before["src"]
    assert "?v=u" in after["src"]
    assert after["width"] == 300  # the merchant's picture, re-encoded, not the drawing
    assert after["same"]
