"""ACP 2026-04-17 delegate payment (provider side): ``POST /agentic_commerce/delegate_payment``.

A platform registered with the provider (``VaultService.register_client``) sends a card and an
allowance and gets a vault token (``payments.vault``). Checked in this order, each failure an
ACP error object and nothing stored: ``Authorization: Bearer`` of a registered client (401),
``API-Version`` (400), ``Idempotency-Key`` (400 ``idempotency_key_required``; the same key
with another body 422 ``idempotency_conflict``; one in flight 409 with ``Retry-After``; a
finished one replayed with ``Idempotent-Replayed: true``), then the body: a card number of
12-19 digits passing the Luhn check, an allowance of ``one_time``, a positive integer
``max_amount``, a lower-case currency, a merchant, a session and a future ``expires_at``
(400 ``invalid_card`` with ``param``, the only field code the pinned ``Error`` schema has).
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trustcart.commerce.acp.handler import MAX_BODY, SUPPORTED_VERSIONS
from trustcart.commerce.checkout_idempotency import Decision, claim, finish
from trustcart.core.clock import Clock, format_instant, parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.crypto.acp_request import parse_json_body, request_fingerprint
from trustcart.payments.vault import Allowance, Card, VaultService, hash_token
from trustcart.store.db import Database


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, param: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param

    def body(self) -> dict[str, Any]:
        error_type = "invalid_request" if self.code != "unauthorized" else "unauthorized"
        body: dict[str, Any] = {"type": error_type, "code": self.code, "message": self.message}
        if self.param is not None:
            body["param"] = self.param
        return body


def luhn_ok(number: str) -> bool:
    """The Luhn check digit of a card number holds.

    >>> luhn_ok("4242424242424242"), luhn_ok("4242424242424241")
    (True, False)
    """
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _field(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict) or obj.get(key) is None:
        raise _Refused(400, "invalid_card", f"{where}.{key} is required", f"$.{where}.{key}")
    return obj[key]


def parse_card(method: Any) -> Card:
    """``payment_method`` -> the card's display data (the number only as a fingerprint)."""
    if _field(method, "type", "payment_method") != "card":
        raise _Refused(400, "invalid_card", "only card is supported", "$.payment_method.type")
    number = _field(method, "number", "payment_method")
    if not isinstance(number, str) or not number.isdigit() or not 12 <= len(number) <= 19:
        raise _Refused(400, "invalid_card", "Invalid card number", "$.payment_method.number")
    if method.get("card_number_type", "fpan") == "fpan" and not luhn_ok(number):
        raise _Refused(400, "invalid_card", "Invalid card number", "$.payment_method.number")
    funding = method.get("display_card_funding_type")
    if funding not in ("credit", "debit", "prepaid"):
        raise _Refused(
            400,
            "invalid_card",
            "unknown funding type",
            "$.payment_method.display_card_funding_type",
        )
    brand = method.get("display_brand")
    return Card(
        brand=brand if isinstance(brand, str) and len(brand) <= 32 else "card",
        last4=number[-4:],
        funding=funding,
        fingerprint=hashlib.sha256(number.encode("ascii")).hexdigest(),
    )


def parse_allowance(value: Any) -> Allowance:
    """``allowance`` -> ``Allowance``; each bad field a 400 naming it."""
    where = "allowance"
    if _field(value, "reason", where) != "one_time":
        raise _Refused(400, "invalid_card", "only one_time is supported", "$.allowance.reason")
    amount = _field(value, "max_amount", where)
    currency = _field(value, "currency", where)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise _Refused(400, "invalid_card", "max_amount must be > 0", "$.allowance.max_amount")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.islower():
        raise _Refused(400, "invalid_card", "currency must be ISO 4217", "$.allowance.currency")
    try:
        return Allowance(
            max_amount=Money(amount, currency.upper()),
            merchant_id=str(_field(value, "merchant_id", where))[:256],
            checkout_session_id=str(_field(value, "checkout_session_id", where))[:256],
            expires_at=parse_instant(str(_field(value, "expires_at", where))),
        )
    except ValidationError as e:
        raise _Refused(400, "invalid_card", str(e), "$.allowance") from e


def _authorize(vault: VaultService, headers: dict[str, str]) -> tuple[str, str]:
    """(client id, Idempotency-Key) of a request, or the refusal."""
    scheme, _, key = headers.get("authorization", "").partition(" ")
    client_id = (
        vault.client_for_key(hash_token(key.strip())) if scheme.lower() == "bearer" else None
    )
    if client_id is None:
        raise _Refused(401, "unauthorized", "Unauthorized")
    if headers.get("api-version") not in SUPPORTED_VERSIONS:
        raise _Refused(
            400, "invalid_card", "API-Version is missing or not supported", "API-Version"
        )
    idem = headers.get("idempotency-key", "")
    if not 1 <= len(idem) <= 255:
        raise _Refused(400, "idempotency_key_required", "Idempotency-Key header is required")
    return client_id, idem


def create_delegate_app(vault: VaultService, db: Database, clock: Clock) -> FastAPI:
    """The delegate payment app; mount it at ``/agentic_commerce``."""
    app = FastAPI(title="trustcart ACP delegate payment", docs_url=None, openapi_url=None)

    def handle(headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        client_id, idem = _authorize(vault, headers)
        if len(raw) > MAX_BODY:
            raise _Refused(400, "invalid_card", "the body is too large")
        try:
            body = parse_json_body(raw)
        except ValidationError as e:
            raise _Refused(400, "invalid_card", str(e)) from e
        if not isinstance(body, dict):
            raise _Refused(400, "invalid_card", "the body must be a JSON object")
        scope = f"acp-delegate:{client_id}"
        now = clock.now()
        with db.transaction() as session:
            decision = claim(session, scope, idem, request_fingerprint(body), now)
        if decision.decision is Decision.CONFLICT:
            raise _Refused(
                422,
                "idempotency_conflict",
                "Idempotency-Key has already been used with a different request body",
            )
        if decision.decision is Decision.IN_FLIGHT:
            raise _Refused(
                409,
                "idempotency_in_flight",
                "A request with this Idempotency-Key is currently being processed",
            )
        if decision.decision is Decision.REPLAY:
            assert decision.status is not None
            return decision.status, decision.body, {"Idempotent-Replayed": "true"}
        try:
            card = parse_card(body.get("payment_method"))
            allowance = parse_allowance(body.get("allowance"))
            if allowance.expires_at <= now:
                raise _Refused(
                    400, "invalid_card", "expires_at is in the past", "$.allowance.expires_at"
                )
            raw_metadata = body.get("metadata")
            metadata = raw_metadata if isinstance(raw_metadata, dict) else {}
            issued = vault.delegate(client_id, card, allowance, metadata)
            status, answer = (
                201,
                {
                    "id": issued.token,
                    "created": format_instant(issued.created),
                    "metadata": {"merchant_id": allowance.merchant_id, "idempotency_key": idem},
                },
            )
        except _Refused as e:
            status, answer = e.status, e.body()
        with db.transaction() as session:
            finish(session, scope, idem, status, answer)
        return status, answer, {}

    @app.post("/delegate_payment")
    async def delegate_payment(request: Request) -> JSONResponse:
        raw = await request.body()
        headers = {name.lower(): value for name, value in request.headers.items()}
        echo = {"Request-Id": headers["request-id"][:200]} if "request-id" in headers else {}
        try:
            status, body, extra = await run_in_threadpool(handle, headers, raw)
        except _Refused as e:
            extra = {"Retry-After": "1"} if e.status == 409 else {}
            status, body = e.status, e.body()
        return JSONResponse(body, status_code=status, headers={**extra, **echo})

    return app
