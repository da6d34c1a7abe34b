"""ACP's error object on every ACP endpoint: ``{type, code, message, param}``, never problem+json.

``AcpError`` is the one exception of ``commerce.acp``; ``from_commerce`` maps the checkout's
``CommerceError`` codes onto ACP codes. ``type`` is ``invalid_request`` for anything the caller
can fix, ``processing_error`` for a payment that did not go through and ``service_unavailable``
when a dependency (the payment provider, the status service) did not answer. Codes are a
``StrEnum`` (docs/errors.md, "ACP"). A 409 is only ever ``idempotency_in_flight`` (the pinned
OpenAPI requires ``Retry-After`` on every 409), so a state conflict is a 400.

>>> body = AcpError(400, AcpCode.MISSING, "currency is required", param="$.currency").to_json()
>>> body["type"], body["code"], body["param"]
('invalid_request', 'missing', '$.currency')
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from trustcart.commerce.errors import CommerceError, CommerceProblem
from trustcart.core.errors import TrustcartError


class AcpType(StrEnum):
    INVALID_REQUEST = "invalid_request"
    PROCESSING_ERROR = "processing_error"
    SERVICE_UNAVAILABLE = "service_unavailable"


class AcpCode(StrEnum):
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    IDEMPOTENCY_IN_FLIGHT = "idempotency_in_flight"
    MISSING_API_VERSION = "missing_api_version"
    UNSUPPORTED_API_VERSION = "unsupported_api_version"
    UNAUTHORIZED = "unauthorized"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID_JSON = "invalid_json"
    MISSING = "missing"
    INVALID = "invalid"
    INVALID_ITEM_ID = "invalid_item_id"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
    UNSUPPORTED = "unsupported"
    SESSION_NOT_FOUND = "session_not_found"
    ORDER_NOT_FOUND = "order_not_found"
    NOT_FOUND = "not_found"
    INVALID_STATE = "invalid_state"
    NOT_CANCELABLE = "not_cancelable"
    NOT_READY_FOR_PAYMENT = "not_ready_for_payment"
    PRICE_CHANGED = "price_changed"
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_UNAVAILABLE = "payment_unavailable"
    IAC_REFUSED = "iac_refused"
    AUTHENTICATION_FAILED = "authentication_failed"
    REQUEST_TOO_LARGE = "request_too_large"
    PROCESSING_ERROR = "processing_error"


class AcpError(TrustcartError):
    """An ACP error answer: HTTP status, ``type``, ``code``, ``message`` and ``param``."""

    def __init__(
        self,
        status: int,
        code: AcpCode,
        message: str,
        *,
        param: str | None = None,
        error_type: AcpType | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.error_type = error_type or (
            AcpType.SERVICE_UNAVAILABLE if status >= 500 else AcpType.INVALID_REQUEST
        )
        self.headers = headers or {}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": str(self.error_type),
            "code": str(self.code),
            "message": self.message,
        }
        if self.param is not None:
            body["param"] = self.param
        return body


_P = CommerceProblem
_MAPPING: dict[str, tuple[int, AcpCode]] = {
    _P.UNKNOWN_CHECKOUT: (404, AcpCode.SESSION_NOT_FOUND),
    _P.UNKNOWN_MERCHANT: (404, AcpCode.NOT_FOUND),
    _P.UNKNOWN_ORDER: (404, AcpCode.ORDER_NOT_FOUND),
    _P.UNKNOWN_PRODUCT: (400, AcpCode.INVALID_ITEM_ID),
    _P.CHECKOUT_CURRENCY_UNSUPPORTED: (400, AcpCode.UNSUPPORTED_CURRENCY),
    _P.CHECKOUT_ILLEGAL_TRANSITION: (400, AcpCode.INVALID_STATE),
    _P.CHECKOUT_NOT_READY: (400, AcpCode.NOT_READY_FOR_PAYMENT),
    _P.CHECKOUT_PRICE_CHANGED: (400, AcpCode.PRICE_CHANGED),
    _P.PRICE_CHANGED: (400, AcpCode.PRICE_CHANGED),
    _P.OUT_OF_STOCK: (400, AcpCode.OUT_OF_STOCK),
    _P.PAYMENT_DECLINED: (400, AcpCode.PAYMENT_DECLINED),
    _P.PAYMENT_UNAVAILABLE: (503, AcpCode.PAYMENT_UNAVAILABLE),
    _P.IAC_REFUSED: (400, AcpCode.IAC_REFUSED),
    _P.LOCK_FAILED: (503, AcpCode.PROCESSING_ERROR),
}


def from_commerce(error: CommerceError) -> AcpError:
    """The ACP answer to a checkout refusal; the detail becomes the message."""
    problem = error.problem
    status, code = _MAPPING.get(problem.code, (400, AcpCode.INVALID))
    if code is AcpCode.IAC_REFUSED and problem.status == 503:
        status = 503  # the status service did not answer: fail closed, retry later
    message = problem.detail or problem.title
    reason = problem.extra.get("reason")
    if reason:
        message = f"{message} ({reason})"
    param = None
    if code is AcpCode.INVALID_ITEM_ID and "line" in problem.extra:
        param = f"$.line_items[{problem.extra['line']}].id"
    elif code is AcpCode.UNSUPPORTED_CURRENCY:
        param = "$.currency"
    elif code in (AcpCode.PAYMENT_DECLINED, AcpCode.IAC_REFUSED):
        param = "$.payment_data"
    error_type = AcpType.PROCESSING_ERROR if code is AcpCode.PAYMENT_DECLINED else None
    return AcpError(status, code, message, param=param, error_type=error_type)
