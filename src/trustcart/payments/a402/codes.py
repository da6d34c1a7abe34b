"""Every stable code of A402: the ACT-A402 error catalog and trustcart's precise reasons.

Two layers, on purpose:

* ``A402Code`` is the ``error_id`` a peer sees, one of the eleven ``ACT-A402-*`` codes of the
  ACT 2.1 implementation artifact ``code/schemas/a402/error-catalog.json`` (version
  ``2.1-artifact.1``). ``CATALOG`` gives each code its category, phase, retryability, valid next
  actions and message exactly as that file does (a test and the ``act-a402`` conformance suite
  compare them both ways), plus the HTTP status trustcart uses for it, which the catalog leaves
  open.
* ``HeaderDefect`` and ``ProofRejection`` say precisely which rule refused a header or a proof.
  They travel in the error body's ``details.reason`` and in logs; each maps onto one
  ``A402Code``, so a peer that knows only the catalog still knows what to do next.

``body.error_body`` builds the ``error.schema.json`` object for a code.

>>> [str(action) for action in CATALOG[A402Code.PROOF_INVALID].valid_next_actions]
['OBTAIN_NEW_PROOF', 'RETRY_VALIDATION', 'CREATE_NEW_REQUIREMENT', 'ABORT']
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CATALOG_VERSION = "2.1-artifact.1"


class A402Code(StrEnum):
    """The ``ACT-A402-*`` error ids (error-catalog.json, one per ACT error category)."""

    SIGNATURE_INVALID = "ACT-A402-SIGNATURE_INVALID"
    REQUEST_INVALID = "ACT-A402-REQUEST_INVALID"
    METHOD_UNSUPPORTED = "ACT-A402-METHOD_UNSUPPORTED"
    PARTICIPANT_INVALID = "ACT-A402-PARTICIPANT_INVALID"
    LIMIT_OR_ASSET_REJECTED = "ACT-A402-LIMIT_OR_ASSET_REJECTED"
    AUTHORIZATION_REJECTED = "ACT-A402-AUTHORIZATION_REJECTED"
    STATE_CONFLICT = "ACT-A402-STATE_CONFLICT"
    REFUND_FAILED = "ACT-A402-REFUND_FAILED"
    FULFILLMENT_FAILED = "ACT-A402-FULFILLMENT_FAILED"
    PROOF_INVALID = "ACT-A402-PROOF_INVALID"
    SYSTEM_UNAVAILABLE = "ACT-A402-SYSTEM_UNAVAILABLE"


class ErrorCategory(StrEnum):
    """The eleven error semantics of ACT 2.1 A402 section 7."""

    SIGNATURE_VALIDATION = "SIGNATURE_VALIDATION"
    REQUEST_PARAMETER = "REQUEST_PARAMETER"
    PROTOCOL_METHOD = "PROTOCOL_METHOD"
    PARTICIPANT_IDENTITY = "PARTICIPANT_IDENTITY"
    LIMIT_ASSET = "LIMIT_ASSET"
    AUTHORIZATION_RISK = "AUTHORIZATION_RISK"
    TRANSACTION_STATE = "TRANSACTION_STATE"
    REFUND = "REFUND"
    FULFILLMENT_RECEIPT = "FULFILLMENT_RECEIPT"
    PAYMENT_PROOF_VALIDATION = "PAYMENT_PROOF_VALIDATION"
    SYSTEM = "SYSTEM"


class Phase(StrEnum):
    """Which step of the interaction failed (payment, validation, delivery are distinct)."""

    REQUIREMENT = "REQUIREMENT"
    AUTHORIZATION = "AUTHORIZATION"
    PAYMENT = "PAYMENT"
    PROOF_VALIDATION = "PROOF_VALIDATION"
    DELIVERY = "DELIVERY"
    FULFILLMENT = "FULFILLMENT"
    EVIDENCE = "EVIDENCE"


class Retryability(StrEnum):
    NEVER = "NEVER"
    AFTER_CORRECTION = "AFTER_CORRECTION"
    AFTER_AUTHORIZATION = "AFTER_AUTHORIZATION"
    RETRYABLE = "RETRYABLE"
    QUERY_FIRST = "QUERY_FIRST"
    TERMINAL = "TERMINAL"


class NextAction(StrEnum):
    CORRECT_REQUEST = "CORRECT_REQUEST"
    RENEGOTIATE_METHOD = "RENEGOTIATE_METHOD"
    REAUTHORIZE = "REAUTHORIZE"
    CHANGE_PAYMENT_TOOL = "CHANGE_PAYMENT_TOOL"
    QUERY_PAYMENT_STATUS = "QUERY_PAYMENT_STATUS"
    OBTAIN_NEW_PROOF = "OBTAIN_NEW_PROOF"
    RETRY_VALIDATION = "RETRY_VALIDATION"
    RETRY_DELIVERY = "RETRY_DELIVERY"
    RETRY_FULFILLMENT = "RETRY_FULFILLMENT"
    RETURN_PRIOR_RESULT = "RETURN_PRIOR_RESULT"
    CREATE_NEW_REQUIREMENT = "CREATE_NEW_REQUIREMENT"
    SWITCH_COUNTERPARTY = "SWITCH_COUNTERPARTY"
    ESCALATE = "ESCALATE"
    ABORT = "ABORT"


@dataclass(frozen=True)
class CatalogEntry:
    code: A402Code
    category: ErrorCategory
    phase: Phase
    retryability: Retryability
    valid_next_actions: tuple[NextAction, ...]
    message: str
    http_status: int  # trustcart's choice; the catalog names none


def _entry(
    code: A402Code, kinds: str, actions: str, http_status: int, message: str
) -> CatalogEntry:
    category, phase, retryability = kinds.split()
    return CatalogEntry(
        code=code,
        category=ErrorCategory(category),
        phase=Phase(phase),
        retryability=Retryability(retryability),
        valid_next_actions=tuple(NextAction(name) for name in actions.split()),
        message=message,
        http_status=http_status,
    )


_C = A402Code
CATALOG: dict[A402Code, CatalogEntry] = {
    entry.code: entry
    for entry in (
        _entry(_C.SIGNATURE_INVALID, "SIGNATURE_VALIDATION REQUIREMENT AFTER_CORRECTION",
               "CORRECT_REQUEST ESCALATE ABORT", 401,
               "Signature validation failed or the signature algorithm is unsupported."),
        _entry(_C.REQUEST_INVALID, "REQUEST_PARAMETER REQUIREMENT AFTER_CORRECTION",
               "CORRECT_REQUEST CREATE_NEW_REQUIREMENT ABORT", 400,
               "A required request fact is missing, malformed, inconsistent, or expired."),
        _entry(_C.METHOD_UNSUPPORTED, "PROTOCOL_METHOD REQUIREMENT AFTER_CORRECTION",
               "RENEGOTIATE_METHOD SWITCH_COUNTERPARTY ABORT", 400,
               "The protocol version or payment method is unsupported or unavailable."),
        _entry(_C.PARTICIPANT_INVALID, "PARTICIPANT_IDENTITY AUTHORIZATION AFTER_AUTHORIZATION",
               "REAUTHORIZE CORRECT_REQUEST ESCALATE ABORT", 403,
               "A participant identity, binding, or account relationship could not be validated."),
        _entry(_C.LIMIT_OR_ASSET_REJECTED, "LIMIT_ASSET AUTHORIZATION AFTER_AUTHORIZATION",
               "CHANGE_PAYMENT_TOOL REAUTHORIZE ABORT", 402,
               "Available assets, account status, or transaction limits do not permit payment."),
        _entry(_C.AUTHORIZATION_REJECTED, "AUTHORIZATION_RISK AUTHORIZATION AFTER_AUTHORIZATION",
               "REAUTHORIZE ESCALATE ABORT", 403,
               "Authorization boundaries or risk controls rejected the operation."),
        _entry(_C.STATE_CONFLICT, "TRANSACTION_STATE PAYMENT QUERY_FIRST",
               "QUERY_PAYMENT_STATUS RETURN_PRIOR_RESULT ESCALATE ABORT", 409,
               "The transaction does not exist or cannot accept the operation in its current "
               "state."),
        _entry(_C.REFUND_FAILED, "REFUND FULFILLMENT QUERY_FIRST",
               "QUERY_PAYMENT_STATUS ESCALATE ABORT", 502,
               "Refund processing failed or its outcome is not yet authoritative."),
        _entry(_C.FULFILLMENT_FAILED, "FULFILLMENT_RECEIPT FULFILLMENT RETRYABLE",
               "RETRY_DELIVERY RETRY_FULFILLMENT RETURN_PRIOR_RESULT ESCALATE", 500,
               "Resource delivery or fulfillment confirmation did not complete."),
        _entry(_C.PROOF_INVALID, "PAYMENT_PROOF_VALIDATION PROOF_VALIDATION AFTER_CORRECTION",
               "OBTAIN_NEW_PROOF RETRY_VALIDATION CREATE_NEW_REQUIREMENT ABORT", 402,
               "Payment proof is absent, invalid, expired, replayed, or inconsistent with the "
               "request."),
        _entry(_C.SYSTEM_UNAVAILABLE, "SYSTEM PAYMENT QUERY_FIRST",
               "QUERY_PAYMENT_STATUS RETRY_VALIDATION ESCALATE ABORT", 503,
               "A payment, validation, or downstream service is temporarily unavailable."),
    )
}  # fmt: skip


class HeaderDefect(StrEnum):
    """Why a Payment-Needed, Payment-Proof or Payment-Validation value was refused."""

    TOO_LARGE = "a402-header-too-large"
    PADDED = "a402-header-padded"
    NOT_BASE64URL = "a402-header-not-base64url"
    NOT_UTF8 = "a402-header-not-utf8"
    NOT_JSON = "a402-header-not-json"
    DUPLICATE_KEY = "a402-header-duplicate-key"
    JSON_UNSUPPORTED = "a402-header-json-unsupported"
    NOT_OBJECT = "a402-header-not-object"
    ENVELOPE_INVALID = "a402-envelope-invalid"
    BASELINE_REDEFINED = "a402-baseline-redefined"
    FIELD_UNKNOWN = "a402-field-unknown"
    FIELD_MISSING = "a402-field-missing"
    FIELD_INVALID = "a402-field-invalid"


HEADER_DEFECT_CODES: dict[HeaderDefect, A402Code] = {
    # The two-layer protocol/method structure is the protocol itself (ACT "protocol missing or
    # invalid, or payment-method specification mismatch"); everything else is a bad parameter.
    **dict.fromkeys(HeaderDefect, A402Code.REQUEST_INVALID),
    HeaderDefect.ENVELOPE_INVALID: A402Code.METHOD_UNSUPPORTED,
    HeaderDefect.BASELINE_REDEFINED: A402Code.METHOD_UNSUPPORTED,
}


class ProofRejection(StrEnum):
    """Why the seller refused a Payment-Proof (one rule each, checked in this order)."""

    METHOD_MISMATCH = "a402-proof-method-mismatch"
    ORDER_MISMATCH = "a402-proof-order-mismatch"
    RESOURCE_MISMATCH = "a402-proof-resource-mismatch"
    REQUEST_MISMATCH = "a402-proof-request-mismatch"
    BUYER_MISMATCH = "a402-proof-buyer-mismatch"
    SIGNATURE_INVALID = "a402-proof-signature-invalid"
    CREDENTIAL_MALFORMED = "a402-proof-credential-malformed"
    TRADE_NO_MISMATCH = "a402-proof-trade-no-mismatch"
    PAYEE_MISMATCH = "a402-proof-payee-mismatch"
    CURRENCY_MISMATCH = "a402-proof-currency-mismatch"
    AMOUNT_MISMATCH = "a402-proof-amount-mismatch"
    PAID_AFTER_DEADLINE = "a402-proof-paid-after-deadline"
    NOT_YET_VALID = "a402-proof-not-yet-valid"
    EXPIRED = "a402-proof-expired"
    OUTSIDE_REPLAY_WINDOW = "a402-proof-outside-replay-window"
    REPLAYED = "a402-proof-replayed"


PROOF_REJECTION_CODES: dict[ProofRejection, A402Code] = {
    **dict.fromkeys(ProofRejection, A402Code.PROOF_INVALID),
    # A proof for another payment method: renegotiate, do not just fetch another proof.
    ProofRejection.METHOD_MISMATCH: A402Code.METHOD_UNSUPPORTED,
}

# Rejections after which the buyer must obtain a new requirement: the amount, order or resource
# it paid for is not what the seller now asks (ACT conformance checklist item 20).
NEW_REQUIREMENT_NEEDED = frozenset(
    {
        ProofRejection.ORDER_MISMATCH,
        ProofRejection.RESOURCE_MISMATCH,
        ProofRejection.CURRENCY_MISMATCH,
        ProofRejection.AMOUNT_MISMATCH,
        ProofRejection.PAID_AFTER_DEADLINE,
    }
)


def http_status(code: A402Code) -> int:
    """The HTTP status trustcart answers with for ``code`` outside the 402 challenge path.

    >>> http_status(A402Code.STATE_CONFLICT)
    409
    """
    return CATALOG[code].http_status
