"""Why the agent refuses a UCP business or one of its answers: one tree, stable codes.

    UcpError (code, reason)
    ├── BusinessUnreachable   no answer in time, a transport failure, a redirect
    ├── ProfileRejected       the profile is not JSON, too large, invalid or lacks what we need
    ├── AnswerRejected        an answer that is not the schema's shape, or whose figures lie
    ├── BusinessRefused       the business answered a UCP error (its own code in ``reason``)
    └── WebhookRefused        an order webhook our platform will not take (``order_events``):
                              its UCP wire code and HTTP status in ``wire_code``, ``status``

Every code is a ``UcpCode`` (documented in docs/errors.md); nothing is paid after any of them.
"""

from __future__ import annotations

from enum import StrEnum


class UcpCode(StrEnum):
    BAD_URL = "ucp-bad-url"
    UNREACHABLE = "ucp-unreachable"
    PROFILE_INVALID = "ucp-profile-invalid"
    VERSION_UNSUPPORTED = "ucp-version-unsupported"
    CAPABILITY_MISSING = "ucp-capability-missing"
    HANDLER_MISSING = "ucp-handler-missing"
    BAD_ANSWER = "ucp-bad-answer"
    REFUSED = "ucp-refused"
    TOTALS_MISMATCH = "ucp-totals-mismatch"
    PRICE_CHANGED = "ucp-price-changed"
    NOT_READY = "ucp-not-ready"
    UNKNOWN_BUSINESS = "ucp-unknown-business"
    EVIDENCE_INVALID = "ucp-evidence-invalid"
    SCHEMAS_MISSING = "ucp-schemas-missing"
    WEBHOOK_REFUSED = "ucp-webhook-refused"
    # the AP2 mandate extension (assistant.ucp.ap2)
    MERCHANT_AUTHORIZATION_MISSING = "ucp-merchant-authorization-missing"
    MERCHANT_AUTHORIZATION_INVALID = "ucp-merchant-authorization-invalid"
    MANDATE_UNAVAILABLE = "ucp-mandate-unavailable"


class UcpError(Exception):
    """A refusal with a stable ``code`` and a reason a person can read."""

    def __init__(self, code: UcpCode, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class BusinessUnreachable(UcpError):
    def __init__(self, reason: str) -> None:
        super().__init__(UcpCode.UNREACHABLE, reason)


class ProfileRejected(UcpError):
    pass


class AnswerRejected(UcpError):
    pass


class BusinessRefused(UcpError):
    def __init__(self, reason: str, business_code: str) -> None:
        super().__init__(UcpCode.REFUSED, reason)
        self.business_code = business_code


class WebhookRefused(UcpError):
    """An order webhook refused: ``wire_code`` is the UCP error code the sender gets (the
    business's vocabulary, docs/errors.md), ``status`` the HTTP status; nothing was kept."""

    def __init__(self, wire_code: str, reason: str, status: int) -> None:
        super().__init__(UcpCode.WEBHOOK_REFUSED, reason)
        self.wire_code = wire_code
        self.status = status
