"""A browser stand-in for the signing desk: a software Ed25519 key that signs what is presented.

It does what ``web/static/shop.js`` does (sign ``BASE64URL(header) "." BASE64URL(payload)`` of
the texts presented), so tests without Chromium can drive the desk and the web routes, and
can tamper with the bytes the way a page could.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from trustcart.crypto.jcs import b64url
from trustcart.crypto.keys import SigningKey
from trustcart.web.signing_desk import SigningDesk, SigningRefused, SigningRequest


def signing_input(header: str, payload: str) -> str:
    return f"{b64url(header.encode())}.{b64url(payload.encode())}"


def sign_presented(
    key: SigningKey, presented: dict[str, Any], payload: str | None = None
) -> dict[str, str]:
    """The browser's answer to one presented request (``payload``: the page's, if changed)."""
    shown = signing_input(presented["header"], presented["payload"] if payload is None else payload)
    return {
        "request_id": presented["request_id"],
        "signing_input": shown,
        "signature": b64url(key.sign(shown.encode())),
    }


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("timed out")


def answering(
    desk: SigningDesk,
    key: SigningKey,
    tamper: Callable[[SigningRequest], str | None],
    count: int,
) -> tuple[threading.Thread, list[SigningRefused]]:
    """A thread answering ``count`` requests on ``desk`` (fewer if one is refused; 5 s at most)."""
    refusals: list[SigningRefused] = []

    def run() -> None:
        deadline = time.monotonic() + 5
        answered: set[str] = set()
        while time.monotonic() < deadline and len(answered) < count:
            pending = desk.pending()
            if pending is None or pending.request_id in answered:
                time.sleep(0.005)
                continue
            answered.add(pending.request_id)
            answer = sign_presented(key, pending.to_json(), tamper(pending))
            try:
                desk.answer(**answer)
            except SigningRefused as refusal:
                refusals.append(refusal)
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, refusals
