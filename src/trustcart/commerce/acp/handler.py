"""The ACP checkout protocol of one marketplace: a request in, an answer out, no HTTP framework.

The shell (``api.acp``) hands over the method, paths, headers and raw body; the MCP binding
builds the same request from a tool call. Served per merchant under ``<base>/<merchant_id>``::

    POST /checkout_sessions                   create (201)
    GET  /checkout_sessions/{id}              retrieve
    POST /checkout_sessions/{id}              update
    POST /checkout_sessions/{id}/complete     complete (200, with ``order``)
    POST /checkout_sessions/{id}/cancel       cancel (405 when completed or canceled)
    GET  /orders/{order_id}                   the order (its ``permalink_url``)

Checked in this order, each failure an ACP error object and nothing changed:

1. ``Authorization: Bearer <key>`` of a platform registered for this merchant (401);
2. ``API-Version`` present and supported (400 ``missing_api_version`` /
   ``unsupported_api_version``; the supported versions are named in the message);
3. a JSON object body of at most ``MAX_BODY`` bytes (400 / 413);
4. ``Signature`` + ``Timestamp`` (``crypto.acp_request``) verified when present, required when
   the platform's setting says so (401 ``invalid_signature``);
5. on every POST an ``Idempotency-Key`` of 1-255 characters (400 ``idempotency_key_required``),
   scoped to the platform and the path: the same key with another body is 422
   ``idempotency_conflict``, one still running is 409 ``idempotency_in_flight`` with
   ``Retry-After``, a finished one is replayed with ``Idempotent-Replayed: true``; a 5xx answer
   is never stored. The ACT header below takes part in the comparison, as ACP asks of
   extension fields.

ACT on top: a platform may send its agent's ACT intent credential (IAC, JWS compact) in the
``ACT-Intent-Credential`` header of create or update; the session is then bound to it and
``complete`` runs the ACT checks (``commerce.checkout_act``). ``Request-Id`` is echoed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from trustcart.commerce.acp.errors import AcpCode, AcpError, from_commerce
from trustcart.commerce.acp.platforms import Platform, authenticate
from trustcart.commerce.acp.render import Seller, render_order, render_session
from trustcart.commerce.acp.requests import parse_complete, parse_create, parse_update
from trustcart.commerce.checkout import CheckoutStatus
from trustcart.commerce.checkout_idempotency import Decision, claim, finish, release
from trustcart.commerce.checkout_service import CheckoutDraft, CheckoutService, CheckoutView
from trustcart.commerce.errors import CommerceError
from trustcart.core.clock import Clock
from trustcart.core.errors import ValidationError
from trustcart.crypto.acp_request import parse_json_body, request_fingerprint, verify_request
from trustcart.crypto.errors import InvalidSignature
from trustcart.store.db import Database

SUPPORTED_VERSIONS = ("2026-04-17",)
MAX_BODY = 64 * 1024
IAC_HEADER = "act-intent-credential"
_KEY_RE = re.compile(r"^[\x20-\x7e]{1,255}\Z")
_SESSION = re.compile(r"^/checkout_sessions/([A-Za-z0-9_-]{1,96})(/complete|/cancel)?\Z")
_ORDER = re.compile(r"^/orders/([A-Za-z0-9_-]{1,96})\Z")


@dataclass(frozen=True)
class AcpRequest:
    merchant_id: str
    method: str
    path: str  # below the merchant's base: /checkout_sessions/...
    full_path: str  # as the client requested it (what it signed)
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""


@dataclass(frozen=True)
class AcpResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _error(error: AcpError) -> AcpResponse:
    return AcpResponse(error.status, error.to_json(), dict(error.headers))


class AcpCheckoutHandler:
    def __init__(
        self,
        db: Database,
        checkout: CheckoutService,
        clock: Clock,
        seller: Callable[[str], Seller],
    ) -> None:
        self._db = db
        self._checkout = checkout
        self._clock = clock
        self._seller = seller

    def handle(self, request: AcpRequest) -> AcpResponse:
        echo = {}
        if "request-id" in request.headers:
            echo["Request-Id"] = request.headers["request-id"][:200]
        try:
            response = self._handle(request)
        except AcpError as e:
            response = _error(e)
        response.headers.update(echo)
        return response

    # -- the checks -----------------------------------------------------------------------------

    def _platform(self, request: AcpRequest) -> Platform:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        platform = None
        if scheme.lower() == "bearer" and key.strip():
            with self._db.read() as db:
                platform = authenticate(db, request.merchant_id, key.strip())
        if platform is None:
            raise AcpError(401, AcpCode.UNAUTHORIZED, "a valid API key is required")
        return platform

    @staticmethod
    def _version(request: AcpRequest) -> None:
        version = request.headers.get("api-version")
        supported = ", ".join(SUPPORTED_VERSIONS)
        if not version:
            raise AcpError(
                400, AcpCode.MISSING_API_VERSION, f"send API-Version (supported: {supported})"
            )
        if version not in SUPPORTED_VERSIONS:
            raise AcpError(
                400,
                AcpCode.UNSUPPORTED_API_VERSION,
                f"API-Version {version[:40]} is not supported (supported: {supported})",
            )

    @staticmethod
    def _body(request: AcpRequest) -> dict[str, Any]:
        if len(request.body) > MAX_BODY:
            raise AcpError(413, AcpCode.REQUEST_TOO_LARGE, f"the body exceeds {MAX_BODY} bytes")
        if request.method == "GET" or not request.body.strip():
            return {}
        try:
            value = parse_json_body(request.body)
        except ValidationError as e:
            raise AcpError(400, AcpCode.INVALID_JSON, str(e)) from e
        if not isinstance(value, dict):
            raise AcpError(400, AcpCode.INVALID_JSON, "the body must be a JSON object")
        return value

    def _signature(self, request: AcpRequest, platform: Platform, body: Any) -> None:
        signature = request.headers.get("signature")
        if signature is None and not platform.require_signature:
            return
        timestamp = request.headers.get("timestamp")
        try:
            if signature is None or timestamp is None or platform.signing_key is None:
                raise InvalidSignature
            verify_request(
                platform.signing_key,
                signature,
                timestamp,
                method=request.method,
                path=request.full_path,
                body=body if request.method != "GET" else None,
                now=self._clock.now(),
            )
        except InvalidSignature as e:
            raise AcpError(
                401, AcpCode.INVALID_SIGNATURE, "the request signature does not verify"
            ) from e

    # -- dispatch -------------------------------------------------------------------------------

    def _handle(self, request: AcpRequest) -> AcpResponse:
        route = self._route(request)
        platform = self._platform(request)
        self._version(request)
        body = self._body(request)
        self._signature(request, platform, body)
        if request.method == "GET":
            return self._get(route, platform)
        key = request.headers.get("idempotency-key")
        if not key:
            raise AcpError(
                400, AcpCode.IDEMPOTENCY_KEY_REQUIRED, "Idempotency-Key header is required"
            )
        if not _KEY_RE.match(key):
            raise AcpError(
                400,
                AcpCode.INVALID,
                "Idempotency-Key is 1-255 printable characters",
                param="Idempotency-Key",
            )
        iac = request.headers.get(IAC_HEADER)
        scope = f"acp:{platform.platform_id}:{request.method} {request.path}"
        fingerprint = request_fingerprint({"body": body, "act_intent_credential": iac})
        now = self._clock.now()
        with self._db.transaction() as db:
            decision = claim(db, scope, key, fingerprint, now)
        echo = {"Idempotency-Key": key}
        if decision.decision is Decision.CONFLICT:
            raise AcpError(
                422,
                AcpCode.IDEMPOTENCY_CONFLICT,
                "Idempotency-Key has already been used with a different request body",
            )
        if decision.decision is Decision.IN_FLIGHT:
            raise AcpError(
                409,
                AcpCode.IDEMPOTENCY_IN_FLIGHT,
                "A request with this Idempotency-Key is currently being processed",
                headers={"Retry-After": "1"},
            )
        if decision.decision is Decision.REPLAY:
            assert decision.status is not None
            return AcpResponse(
                decision.status, decision.body, {**echo, "Idempotent-Replayed": "true"}
            )
        try:
            response = self._post(route, platform, body, iac)
        except AcpError as e:
            response = _error(e)
        except BaseException:
            with self._db.transaction() as db:
                release(db, scope, key)
            raise
        with self._db.transaction() as db:
            finish(db, scope, key, response.status, response.body)
        response.headers.update(echo)
        return response

    @staticmethod
    def _route(request: AcpRequest) -> tuple[str, str | None]:
        if request.method not in ("GET", "POST"):
            raise AcpError(405, AcpCode.UNSUPPORTED, f"{request.method} is not allowed here")
        if request.path == "/checkout_sessions" and request.method == "POST":
            return "create", None
        match = _SESSION.match(request.path)
        if match is not None:
            action = {None: "session", "/complete": "complete", "/cancel": "cancel"}[match[2]]
            if action == "session" or request.method == "POST":
                return ("get" if request.method == "GET" else action), match[1]
        match = _ORDER.match(request.path)
        if match is not None and request.method == "GET":
            return "order", match[1]
        raise AcpError(404, AcpCode.NOT_FOUND, f"no ACP endpoint {request.method} {request.path}")

    def _render(self, view: CheckoutView) -> dict[str, Any]:
        return render_session(view, self._seller(view.session.merchant_id))

    def _get(self, route: tuple[str, str | None], platform: Platform) -> AcpResponse:
        action, identifier = route
        assert identifier is not None
        try:
            if action == "order":
                view = self._checkout.order_view(identifier, platform_id=platform.platform_id)
                return AcpResponse(200, render_order(view, self._seller(view.session.merchant_id)))
            view = self._checkout.get(identifier, platform_id=platform.platform_id)
        except CommerceError as e:
            raise from_commerce(e) from e
        return AcpResponse(200, self._render(view))

    def _post(
        self,
        route: tuple[str, str | None],
        platform: Platform,
        body: dict[str, Any],
        iac: str | None,
    ) -> AcpResponse:
        action, session_id = route
        try:
            if action == "create":
                parsed = parse_create(body)
                view = self._checkout.create(
                    CheckoutDraft(
                        merchant_id=platform.merchant_id,
                        platform_id=platform.platform_id,
                        protocol="acp",
                        currency=parsed.currency,
                        items=parsed.items,
                        buyer=parsed.buyer,
                        contact=parsed.contact,
                        codes=parsed.codes,
                        iac=iac,
                        extras=parsed.extras,
                    )
                )
                return AcpResponse(201, self._render(view))
            assert session_id is not None
            if action == "session":
                changes = parse_update(body)
                if iac is not None:
                    changes = replace(changes, iac=iac)
                view = self._checkout.update(session_id, changes, platform_id=platform.platform_id)
            elif action == "complete":
                parsed_complete = parse_complete(body)
                view = self._checkout.complete(
                    session_id,
                    platform_id=platform.platform_id,
                    payment_token=parsed_complete.token,
                    buyer=parsed_complete.buyer,
                    agent_id=platform.agent_id,
                )
            else:
                view = self._cancel(session_id, platform, body)
        except CommerceError as e:
            raise from_commerce(e) from e
        return AcpResponse(200, self._render(view))

    def _cancel(self, session_id: str, platform: Platform, body: dict[str, Any]) -> CheckoutView:
        current = self._checkout.get(session_id, platform_id=platform.platform_id)
        if current.session.status in (CheckoutStatus.COMPLETED, CheckoutStatus.CANCELED):
            raise AcpError(
                405, AcpCode.NOT_CANCELABLE, f"the session is already {current.session.status}"
            )
        return self._checkout.cancel(
            session_id, platform_id=platform.platform_id, intent_trace=body.get("intent_trace")
        )
