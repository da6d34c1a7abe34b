"""Each of the web app's defences, attacked: CSRF, origin, login, host, headers, redirects.

The app is built over a deployment whose roles are not started (nothing here needs them): the
store is an empty SQLite file, so these tests run in a second.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import TimestampSigner

from tests.helpers.web_app import BASE, csrf_token, log_in, web_client
from trustcart.web.credentials import WINDOW, LoginThrottle, WebSecrets
from trustcart.web.security import CONTENT_SECURITY_POLICY, safe_next

PASSWORD = "correct horse battery"


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("TRUSTCART_CONSOLE_PASSWORD", PASSWORD)
    with web_client(tmp_path) as (test_client, _services):
        yield test_client


def _token(client: TestClient, path: str = "/console/login") -> str:
    return csrf_token(client, path)


def _login(client: TestClient) -> str:
    return log_in(client, PASSWORD)


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/console/login", "/static/app.css", "/no-such-page"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert client.get("/").headers["cache-control"] == "no-store"


def _post_routes(client: TestClient) -> list[str]:
    """Every POST path of the app, included routers too (FastAPI keeps those lazily)."""
    found: list[tuple[str, set[str]]] = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute):
            found.append((route.path, set(route.methods or ())))
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            found += [(c.path, set(c.methods or ())) for c in contexts()]
    return sorted({re.sub(r"\{[^}]+\}", "x", path) for path, methods in found if "POST" in methods})


def test_every_post_route_refuses_a_request_without_the_csrf_token(client: TestClient) -> None:
    _login(client)
    posts = _post_routes(client)
    assert len(posts) >= 8  # language, login, logout, merchants, import, refund, coupons...
    for path in posts:
        answer = client.post(path, data={"password": PASSWORD}, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "CSRF" in answer.text


def test_a_wrong_or_foreign_token_is_refused(client: TestClient, tmp_path: Path) -> None:
    token = _token(client)
    assert (
        client.post("/language", data={"lang": "zh", "csrf_token": token[:-2] + "xx"}).status_code
        == 403
    )
    assert (
        client.post("/language", headers={"X-CSRF-Token": ""}, data={"lang": "zh"}).status_code
        == 403
    )
    # A token from another session does not work in this one.
    client.cookies.clear()
    assert client.post("/language", data={"lang": "zh", "csrf_token": token}).status_code == 403


def test_a_cross_origin_post_is_refused_even_with_the_token(client: TestClient) -> None:
    token = _token(client)
    for origin in ("http://evil.example", "null", "http://127.0.0.1:1"):
        answer = client.post(
            "/language", data={"lang": "zh", "csrf_token": token}, headers={"Origin": origin}
        )
        assert answer.status_code == 403, origin
    ok = client.post(
        "/language",
        data={"lang": "zh", "csrf_token": token},
        headers={"Origin": BASE},
        follow_redirects=False,
    )
    assert ok.status_code == 303


def test_the_console_needs_a_login(client: TestClient) -> None:
    for path in ("/console", "/console/roi", "/console/merchants/new", "/console/imports/x"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/console/login?next=")
    token = _token(client)
    refused = client.post(
        "/console/merchants", data={"csrf_token": token, "name": "X"}, follow_redirects=False
    )
    assert refused.status_code == 403


def test_a_wrong_password_is_refused_and_guessing_is_throttled(client: TestClient) -> None:
    token = _token(client)
    for _ in range(5):
        wrong = client.post("/console/login", data={"password": "guess", "csrf_token": token})
        assert wrong.status_code == 401
    # Now even the right password waits: guessing cannot go on.
    late = client.post("/console/login", data={"password": PASSWORD, "csrf_token": token})
    assert late.status_code == 401
    assert "Too many" in late.text
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_logging_in_renews_the_session_token(client: TestClient) -> None:
    before = _token(client)
    after = _login(client)
    assert before != after
    assert client.get("/console").status_code == 200


def test_a_tampered_session_cookie_is_ignored(client: TestClient) -> None:
    _login(client)
    cookie = client.cookies["trustcart_session"]
    payload, _, signature = cookie.partition(".")
    client.cookies.clear()
    client.cookies.set("trustcart_session", payload + "." + signature[::-1])
    assert client.get("/console", follow_redirects=False).status_code == 303
    # A session that claims a login, signed with another key, is no session either.
    forged = TimestampSigner("not-the-key").sign(
        base64.b64encode(json.dumps({"console": {"user": "console"}}).encode())
    )
    client.cookies.clear()
    client.cookies.set("trustcart_session", forged.decode())
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_another_host_is_refused(client: TestClient) -> None:
    # A DNS-rebinding page reaches loopback under its own name: refused.
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_redirects_after_a_form_stay_on_this_site(client: TestClient) -> None:
    token = _token(client)
    answer = client.post(
        "/language",
        data={"lang": "zh", "csrf_token": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


@given(st.text(max_size=60))
def test_safe_next_only_ever_gives_a_local_path(target: str) -> None:
    chosen = safe_next(target)
    assert chosen.startswith("/")
    assert not chosen.startswith("//")
    assert "\\" not in chosen


def test_the_throttle_forgets_old_failures() -> None:
    throttle = LoginThrottle(max_failures=1)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    throttle.failed(now)
    assert not throttle.allowed(now + WINDOW / 2)
    assert throttle.allowed(now + WINDOW)


def test_the_secrets_are_made_once_and_kept_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRUSTCART_CONSOLE_PASSWORD", raising=False)
    first = WebSecrets.load(tmp_path)
    again = WebSecrets.load(tmp_path)
    assert first == again
    assert len(first.console_password) >= 16
    for name in ("web-session.key", "console-password.txt"):
        assert (tmp_path / name).stat().st_mode & 0o077 == 0
    assert first.password_matches(first.console_password)
    assert not first.password_matches(first.console_password + "x")


def test_each_browser_gets_its_own_shopper_id_which_a_console_login_keeps(
    client: TestClient,
) -> None:
    def shopper() -> object:
        cookie = client.cookies["trustcart_session"]
        data = json.loads(base64.b64decode(cookie.split(".")[0]))
        return data.get("shopper")

    client.get("/")
    first = shopper()
    assert isinstance(first, str)
    assert first.startswith("shp_")
    client.get("/")
    assert shopper() == first
    _login(client)
    assert shopper() == first
    client.cookies.clear()
    client.get("/")
    assert shopper() != first
