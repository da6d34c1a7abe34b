"""RFC 9457 problem details: errors as data.

A service raises ``ProblemError`` with a stable ``code`` (a member of some package's ``StrEnum``),
an HTTP status and a human sentence. The HTTP shell renders it as ``application/problem+json``::

    {"type": "https://trustcart.dev/problems/iac-revoked", "title": "IAC revoked",
     "status": 403, "detail": "delegation dlg_... was revoked", "code": "iac-revoked"}

Codes are stable and documented in docs/errors.md; ``type`` is derived from the code so that a
client can switch on either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trustcart.core.errors import TrustcartError

PROBLEM_TYPE_BASE = "https://trustcart.dev/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


class CommonProblem(StrEnum):
    """Codes any of our HTTP services may return."""

    MALFORMED_JSON = "malformed-json"
    JSON_TOO_DEEP = "json-too-deep"
    INVALID_REQUEST = "invalid-request"
    BODY_TOO_LARGE = "body-too-large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type"
    REQUEST_TIMEOUT = "request-timeout"
    NOT_FOUND = "not-found"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    SIGNATURE_MISSING = "signature-missing"
    SIGNATURE_INVALID = "signature-invalid"
    SIGNATURE_EXPIRED = "signature-expired"
    NONCE_REPLAYED = "nonce-replayed"
    DIGEST_MISMATCH = "digest-mismatch"
    UNKNOWN_AGENT = "unknown-agent"
    IDEMPOTENCY_CONFLICT = "idempotency-conflict"
    RATE_LIMITED = "rate-limited"
    INTERNAL = "internal-error"


@dataclass(frozen=True)
class Problem:
    code: str
    status: int
    title: str
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extra)
        return body


class ProblemError(TrustcartError):
    """An error with a stable code that an HTTP shell turns into problem+json."""

    def __init__(
        self,
        code: StrEnum | str,
        status: int,
        detail: str = "",
        *,
        title: str | None = None,
        **extra: Any,
    ) -> None:
        code_text = str(code)
        self.problem = Problem(
            code=code_text,
            status=status,
            title=title or code_text.replace("-", " ").capitalize(),
            detail=detail,
            extra=extra,
        )
        super().__init__(f"{code_text}: {detail}" if detail else code_text)

    @property
    def code(self) -> str:
        return self.problem.code

    @property
    def status(self) -> int:
        return self.problem.status
