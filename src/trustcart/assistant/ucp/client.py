"""The UCP REST client: a business's profile, its catalog and its checkout sessions (httpx).

Strategy: one ``UcpClient`` per business, over an ``httpx.Client`` whose base is the business's
REST endpoint (the composition root hands in one the agent signs, RFC 9421). Each call sends
``UCP-Agent: profile="<our platform profile>"`` and a ``Request-Id``; every write to a checkout
an ``Idempotency-Key`` the caller chooses (a retry reuses it, so nothing happens twice).

Rules kept:
* a transport failure, a timeout or a 5xx that is not a UCP error is ``BusinessUnreachable``; a
  redirect is not followed (the business lives at the URL the person added, nowhere else);
* an answer above ``MAX_ANSWER_BYTES``, not JSON, or not valid for the pinned schema is
  ``AnswerRejected`` (``ucp-bad-answer``), before anything reads it;
* a UCP error (``error_response``, or ``ucp.status: "error"``) is ``BusinessRefused`` with the
  business's own code.

``fetch_profile`` reads ``/.well-known/ucp`` with its own bounded timeout and size.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from trustcart.assistant.ucp.errors import (
    AnswerRejected,
    BusinessRefused,
    BusinessUnreachable,
    ProfileRejected,
    UcpCode,
)
from trustcart.assistant.ucp.profile import BusinessProfile, normalize_url, read_profile
from trustcart.assistant.ucp.schemas import (
    ERROR_RESPONSE,
    LOOKUP_RESPONSE,
    SEARCH_RESPONSE,
    problems,
    require,
)

PROFILE_PATH = "/.well-known/ucp"
PROFILE_TIMEOUT = 5.0
MAX_PROFILE_BYTES = 256 * 1024
MAX_ANSWER_BYTES = 2 * 1024 * 1024
# Who we are to a business when no profile URL is given (tests of the client alone). The
# installation serves its real one and passes it in (``local.ucp_platform``, docs/ucp-platform.md).
PLATFORM_PROFILE = "https://trustcart.invalid/.well-known/ucp"


def _read_bounded(response: httpx.Response, limit: int) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise ProfileRejected(UcpCode.PROFILE_INVALID, f"the profile is over {limit} bytes")
    return bytes(body)


def fetch_profile(
    http: httpx.Client, url: str, *, timeout: float = PROFILE_TIMEOUT
) -> BusinessProfile:
    """GET ``url``/.well-known/ucp (bounded time and size, no redirect) and check it.

    ``ProfileRejected`` for a bad URL or an unusable profile, ``BusinessUnreachable`` when
    nothing answers in time."""
    base = normalize_url(url)
    try:
        with http.stream(
            "GET", base + PROFILE_PATH, timeout=timeout, follow_redirects=False
        ) as response:
            if response.status_code != 200:
                raise ProfileRejected(
                    UcpCode.PROFILE_INVALID,
                    f"{base}{PROFILE_PATH} answered HTTP {response.status_code}",
                )
            raw = _read_bounded(response, MAX_PROFILE_BYTES)
    except httpx.HTTPError as e:
        raise BusinessUnreachable(f"{base} does not answer ({type(e).__name__})") from e
    try:
        document = json.loads(raw)
    except ValueError as e:
        raise ProfileRejected(UcpCode.PROFILE_INVALID, "the profile is not JSON") from e
    return read_profile(base, document)


def _refusal(answer: Any, status: int) -> BusinessRefused:
    messages = answer.get("messages") if isinstance(answer, Mapping) else None
    first = messages[0] if isinstance(messages, list) and messages else {}
    code = str(first.get("code", "error")) if isinstance(first, Mapping) else "error"
    text = str(first.get("content", "")) if isinstance(first, Mapping) else ""
    return BusinessRefused(f"the business refused (HTTP {status}, {code}) {text}".strip(), code)


class UcpClient:
    """Calls to one business; every answer checked (module docstring)."""

    def __init__(
        self, http: httpx.Client, business: BusinessProfile, platform: str = PLATFORM_PROFILE
    ) -> None:
        self._http = http
        self.business = business
        self._agent_header = f'profile="{platform}"'

    def _call(
        self, method: str, path: str, body: Mapping[str, Any] | None, key: str | None
    ) -> tuple[int, Any]:
        headers = {"UCP-Agent": self._agent_header, "Request-Id": str(uuid.uuid4())}
        if key is not None:
            headers["Idempotency-Key"] = key
        try:
            response = self._http.request(
                method,
                self.business.endpoint + path,
                json=None if body is None else dict(body),
                headers=headers,
                follow_redirects=False,
            )
        except httpx.HTTPError as e:
            raise BusinessUnreachable(
                f"{self.business.name} does not answer ({type(e).__name__})"
            ) from e
        if len(response.content) > MAX_ANSWER_BYTES:
            raise AnswerRejected(UcpCode.BAD_ANSWER, "the answer is too large")
        try:
            answer = response.json()
        except ValueError as e:
            if response.status_code >= 500:
                raise BusinessUnreachable(
                    f"{self.business.name} is unavailable (HTTP {response.status_code})"
                ) from e
            raise AnswerRejected(
                UcpCode.BAD_ANSWER, f"{self.business.name} answered HTTP "
                f"{response.status_code} that is not JSON"
            ) from e  # fmt: skip
        if response.status_code >= 300:
            if problems(answer, ERROR_RESPONSE):
                raise AnswerRejected(
                    UcpCode.BAD_ANSWER,
                    f"{self.business.name} answered HTTP {response.status_code}, not a UCP error",
                )
            raise _refusal(answer, response.status_code)
        ucp = answer.get("ucp") if isinstance(answer, Mapping) else None
        if isinstance(ucp, Mapping) and ucp.get("status") == "error":
            require(answer, ERROR_RESPONSE, "the error")
            raise _refusal(answer, response.status_code)
        return response.status_code, answer

    # -- catalog ------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """``POST /catalog/search``: the products the business finds for ``query``."""
        body = {"query": query, "pagination": {"limit": max(1, min(limit, 50))}}
        _, answer = self._call("POST", "/catalog/search", body, None)
        require(answer, SEARCH_RESPONSE, "the search answer")
        return list(answer["products"])

    def lookup(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """``POST /catalog/lookup``: the products with these ids (unknown ones are left out)."""
        _, answer = self._call("POST", "/catalog/lookup", {"ids": list(ids)}, None)
        require(answer, LOOKUP_RESPONSE, "the lookup answer")
        return list(answer["products"])

    # -- checkout sessions --------------------------------------------------------------------

    def _checkout(
        self, method: str, path: str, body: Mapping[str, Any] | None, key: str | None
    ) -> dict[str, Any]:
        _, answer = self._call(method, path, body, key)
        require(answer, "checkout", "the checkout session")
        return dict(answer)

    def create(self, body: Mapping[str, Any], key: str) -> dict[str, Any]:
        return self._checkout("POST", "/checkout-sessions", body, key)

    def get(self, session_id: str) -> dict[str, Any]:
        return self._checkout("GET", f"/checkout-sessions/{session_id}", None, None)

    def update(self, session_id: str, body: Mapping[str, Any], key: str) -> dict[str, Any]:
        return self._checkout("PUT", f"/checkout-sessions/{session_id}", body, key)

    def complete(self, session_id: str, body: Mapping[str, Any], key: str) -> dict[str, Any]:
        return self._checkout("POST", f"/checkout-sessions/{session_id}/complete", body, key)

    def cancel(self, session_id: str, key: str) -> dict[str, Any]:
        return self._checkout("POST", f"/checkout-sessions/{session_id}/cancel", None, key)
