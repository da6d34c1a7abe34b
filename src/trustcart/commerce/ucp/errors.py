"""UCP errors: one exception, a stable ``UcpCode`` and the UCP ``error_response`` shape.

Every refusal on a UCP endpoint is ``{"ucp": {"version", "status": "error"}, "messages":
[{"type": "error", "code", "content", "severity", "path"?}]}`` (never problem+json). The codes
are stable (append-only) and listed in ``docs/errors.md``. A refusal of the checkout state
machine (``CheckoutRefused``) maps to a code here by its ``CommerceProblem``.

>>> UcpError(UcpCode.INVALID_JSON, "body is not JSON").body("2026-04-08")["messages"][0]["code"]
'invalid_json'
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from trustcart.commerce.errors import CommerceError, CommerceProblem
from trustcart.core.errors import TrustcartError


class UcpCode(StrEnum):
    """Stable codes of UCP error messages (append-only)."""

    INVALID_JSON = "invalid_json"
    INVALID_REQUEST = "invalid_request"
    BODY_TOO_LARGE = "body_too_large"
    MISSING_HEADER = "missing_header"
    VERSION_UNSUPPORTED = "version_unsupported"
    CAPABILITY_UNSUPPORTED = "capability_unsupported"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    REQUEST_IN_FLIGHT = "request_in_flight"
    NOT_FOUND = "not_found"
    ITEM_UNAVAILABLE = "item_unavailable"
    MULTIPLE_MERCHANTS = "multiple_merchants"
    CURRENCY_UNSUPPORTED = "currency_unsupported"
    INVALID_TRANSITION = "invalid_transition"
    CHECKOUT_NOT_READY = "checkout_not_ready"
    OUT_OF_STOCK = "out_of_stock"
    PRICE_CHANGED = "price_changed"
    PAYMENT_HANDLER_UNSUPPORTED = "payment_handler_unsupported"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_UNAVAILABLE = "payment_unavailable"
    IAC_REFUSED = "iac_refused"
    IAC_REQUIRED = "iac_required"
    INTERNAL_ERROR = "internal_error"
    # negotiation with the platform's profile (commerce.ucp.negotiation, .platforms)
    CAPABILITIES_INCOMPATIBLE = "capabilities_incompatible"
    INVALID_PROFILE_URL = "invalid_profile_url"
    PROFILE_UNREACHABLE = "profile_unreachable"
    PROFILE_MALFORMED = "profile_malformed"
    # RFC 9421 request signatures (crypto.httpsig.ucp, api.ucp_gate)
    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_INVALID = "signature_invalid"
    KEY_NOT_FOUND = "key_not_found"
    DIGEST_MISMATCH = "digest_mismatch"
    ALGORITHM_UNSUPPORTED = "algorithm_unsupported"
    SIGNATURE_EXPIRED = "signature_expired"
    SIGNATURE_REPLAYED = "signature_replayed"
    # the AP2 mandate extension (commerce.ucp.ap2; ap2_mandate.json's error_code enum)
    MANDATE_REQUIRED = "mandate_required"
    AGENT_MISSING_KEY = "agent_missing_key"
    MANDATE_INVALID_SIGNATURE = "mandate_invalid_signature"
    MANDATE_EXPIRED = "mandate_expired"
    MANDATE_SCOPE_MISMATCH = "mandate_scope_mismatch"
    MERCHANT_AUTHORIZATION_INVALID = "merchant_authorization_invalid"
    MERCHANT_AUTHORIZATION_MISSING = "merchant_authorization_missing"


_SEVERITY = {
    UcpCode.OUT_OF_STOCK: "requires_buyer_review",
    UcpCode.PRICE_CHANGED: "requires_buyer_review",
    UcpCode.CHECKOUT_NOT_READY: "requires_buyer_input",
    UcpCode.PAYMENT_DECLINED: "requires_buyer_input",
    UcpCode.IAC_REFUSED: "requires_buyer_review",
    UcpCode.IAC_REQUIRED: "requires_buyer_input",
    UcpCode.PAYMENT_UNAVAILABLE: "recoverable",
    UcpCode.REQUEST_IN_FLIGHT: "recoverable",
    UcpCode.PROFILE_UNREACHABLE: "recoverable",
    UcpCode.MANDATE_REQUIRED: "requires_buyer_input",
    UcpCode.MANDATE_EXPIRED: "requires_buyer_input",
}

_FROM_COMMERCE = {
    CommerceProblem.UNKNOWN_CHECKOUT: UcpCode.NOT_FOUND,
    CommerceProblem.UNKNOWN_ORDER: UcpCode.NOT_FOUND,
    CommerceProblem.UNKNOWN_PRODUCT: UcpCode.ITEM_UNAVAILABLE,
    CommerceProblem.UNKNOWN_MERCHANT: UcpCode.ITEM_UNAVAILABLE,
    CommerceProblem.CHECKOUT_ILLEGAL_TRANSITION: UcpCode.INVALID_TRANSITION,
    CommerceProblem.CHECKOUT_NOT_READY: UcpCode.CHECKOUT_NOT_READY,
    CommerceProblem.CHECKOUT_PRICE_CHANGED: UcpCode.PRICE_CHANGED,
    CommerceProblem.PRICE_CHANGED: UcpCode.PRICE_CHANGED,
    CommerceProblem.OUT_OF_STOCK: UcpCode.OUT_OF_STOCK,
    CommerceProblem.CHECKOUT_CURRENCY_UNSUPPORTED: UcpCode.CURRENCY_UNSUPPORTED,
    CommerceProblem.PAYMENT_DECLINED: UcpCode.PAYMENT_DECLINED,
    CommerceProblem.PAYMENT_UNAVAILABLE: UcpCode.PAYMENT_UNAVAILABLE,
    CommerceProblem.IAC_REFUSED: UcpCode.IAC_REFUSED,
}


# Discovery, version and signature failures are transport errors in UCP's REST binding
# (overview "Transport Bindings", signatures "REST Error Response"): {"code", "content"}.
TRANSPORT = frozenset(
    {
        UcpCode.INVALID_PROFILE_URL,
        UcpCode.PROFILE_UNREACHABLE,
        UcpCode.PROFILE_MALFORMED,
        UcpCode.SIGNATURE_MISSING,
        UcpCode.SIGNATURE_INVALID,
        UcpCode.KEY_NOT_FOUND,
        UcpCode.DIGEST_MISMATCH,
        UcpCode.ALGORITHM_UNSUPPORTED,
        UcpCode.SIGNATURE_EXPIRED,
        UcpCode.SIGNATURE_REPLAYED,
    }
)


class UcpError(TrustcartError):
    """A UCP request refused with a stable code, an HTTP status and a UCP message.

    ``transport`` errors (``TRANSPORT``, and a ``version_unsupported`` of the platform's
    profile) have UCP's transport body ``{"code", "content"}``; every other refusal is an
    ``error_response``.
    """

    def __init__(
        self,
        code: UcpCode,
        content: str,
        *,
        status: int = 400,
        path: str | None = None,
        severity: str | None = None,
        transport: bool | None = None,
    ) -> None:
        super().__init__(f"{code}: {content}")
        self.transport = code in TRANSPORT if transport is None else transport
        self.code = code
        self.content = content
        self.status = status
        self.path = path
        self.severity = severity or _SEVERITY.get(code, "unrecoverable")

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "error",
            "code": str(self.code),
            "content": self.content,
            "severity": self.severity,
        }
        if self.path is not None:
            message["path"] = self.path
        return message

    def body(self, version: str) -> dict[str, Any]:
        """The UCP ``error_response`` (or, for a transport error, ``{"code", "content"}``)."""
        if self.transport:
            return {"code": str(self.code), "content": self.content}
        return {"ucp": {"version": version, "status": "error"}, "messages": [self.message()]}


def from_commerce(error: CommerceError) -> UcpError:
    """The UCP error for a refusal of the checkout state machine (its reason kept in the text).

    >>> from trustcart.commerce.errors import CheckoutRefused
    >>> e = from_commerce(CheckoutRefused(CommerceProblem.IAC_REFUSED, "no", status=403,
    ...                                   reason="iac-revoked"))
    >>> (e.code, e.status, e.content)
    (<UcpCode.IAC_REFUSED: 'iac_refused'>, 403, 'iac-revoked: no')
    """
    problem = error.problem
    try:
        code = _FROM_COMMERCE.get(CommerceProblem(problem.code), UcpCode.INVALID_REQUEST)
    except ValueError:
        code = UcpCode.INVALID_REQUEST
    reason = problem.extra.get("reason")
    if code is UcpCode.PAYMENT_DECLINED and reason == "iac-required":
        code = UcpCode.IAC_REQUIRED
    content = f"{reason}: {problem.detail}" if reason else (problem.detail or problem.code)
    line = problem.extra.get("line")
    path = f"$.line_items[{line}]" if isinstance(line, int) else None
    return UcpError(code, content, status=problem.status, path=path)
