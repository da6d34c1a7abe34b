"""Driving the shopper's pages in Chromium: open the chat, say something, sign what is shown.

Shared by ``tests/web/test_shop_browser.py`` and ``scripts/shop_screenshots.py``. ``sign_all``
presses "Sign" on each request the page shows (the key module signs the text in the page),
until the page moves on; ``approve`` can first change the payload shown, as a tampering page
would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

STANDING = "up to 3 milk teas this week, at most 30 CNY each, 80 CNY in total"
# ms; signing then paying waits on the server, which on 2 loaded cores took over 30 s once
WAIT = 60_000


def open_chat(page: Page, url: str) -> None:
    page.goto(f"{url}/chat")
    page.wait_for_selector("#key-status[data-state='ready']", timeout=WAIT)
    page.wait_for_selector("#message:not([disabled])", timeout=WAIT)


def send(page: Page, text: str) -> str:
    page.fill("#message", text)
    with page.expect_navigation():
        page.click("#send")
    return page.locator("#reply").inner_text()


def sign_all(page: Page, tamper: str | None = None) -> list[str]:
    """Click Sign on every request shown until the page moves on; the kinds signed.

    ``tamper``: replace the first request's payload text with this before signing."""
    kinds: list[str] = []
    seen: set[str] = set()
    while True:
        page.wait_for_function(
            "(seen) => { const p = document.getElementById('signing'); const s = p.dataset.state;"
            " return (s === 'awaiting' && !seen.includes(p.dataset.request))"
            " || s === 'finished' || (seen.length > 0 && s === 'idle'); }",
            arg=list(seen),
            timeout=WAIT,
        )
        panel = page.locator("#signing")
        if panel.get_attribute("data-state") != "awaiting":
            break
        request = str(panel.get_attribute("data-request"))
        seen.add(request)
        kinds.append(str(panel.get_attribute("data-kind")))
        if tamper is not None and len(kinds) == 1:
            page.evaluate(
                "(text) => { document.getElementById('sign-payload').textContent = text; }", tamper
            )
        page.click("#sign-button")
        page.wait_for_function(
            "(id) => { const p = document.getElementById('signing');"
            " return p.dataset.request !== id || p.dataset.state !== 'awaiting'"
            " || document.getElementById('sign-message').textContent !== ''; }",
            arg=request,
            timeout=WAIT,
        )
    page.wait_for_function(
        "() => document.readyState === 'complete'"
        " && document.getElementById('signing').dataset.state === 'idle'",
        timeout=WAIT,
    )
    return kinds


def approve(page: Page, tamper_total: tuple[str, str] | None = None) -> list[str]:
    page.click("#approve")
    if tamper_total is None:
        return sign_all(page)
    page.wait_for_selector("#signing[data-state='awaiting']", timeout=WAIT)
    shown = page.locator("#sign-payload").inner_text()
    old, new = tamper_total
    assert old in shown
    return sign_all(page, tamper=shown.replace(old, new))
