"""AP2 refusals in UCP's words: the ``dev.ucp.shopping.ap2_mandate`` extension's error codes.

UCP's AP2 extension (``ucp/source/schemas/shopping/ap2_mandate.json``, ``$defs.error_code``)
names seven codes; a UCP business refusing a mandate answers with one of them (the peer's
error shape, STYLE 10), keeping trustcart's finer ``AP2Refusal`` in the message. Unverifiable
mandates are ``mandate_invalid_signature`` (opaque, STYLE 9); a mandate for another checkout,
verifier or scope, or wider than the IAC, is ``mandate_scope_mismatch``.

>>> ucp_error_code(AP2Refusal.EXPIRED)
'mandate_expired'
"""

from __future__ import annotations

from trustcart.delegation.ap2.errors import AP2Refusal

UCP_AP2_CODES = frozenset(
    {
        "mandate_required",
        "agent_missing_key",
        "mandate_invalid_signature",
        "mandate_expired",
        "mandate_scope_mismatch",
        "merchant_authorization_invalid",
        "merchant_authorization_missing",
    }
)

_R = AP2Refusal
_UCP_CODE: dict[AP2Refusal, str] = {
    _R.MALFORMED: "mandate_invalid_signature",
    _R.SIGNATURE_INVALID: "mandate_invalid_signature",
    _R.ISSUER_UNKNOWN: "mandate_invalid_signature",
    _R.EXPIRED: "mandate_expired",
    _R.KEY_BINDING_INVALID: "mandate_scope_mismatch",
    _R.SCHEMA_INVALID: "mandate_scope_mismatch",
    _R.WRONG_TYPE: "mandate_scope_mismatch",
    _R.CHECKOUT_HASH_MISMATCH: "mandate_scope_mismatch",
    _R.CHECKOUT_MISMATCH: "mandate_scope_mismatch",
    _R.CONSTRAINT_UNKNOWN: "mandate_scope_mismatch",
    _R.CONSTRAINT_UNMET: "mandate_scope_mismatch",
    _R.WIDER_THAN_IAC: "mandate_scope_mismatch",
}


def ucp_error_code(refusal: AP2Refusal) -> str:
    """The UCP AP2 extension's error code for ``refusal``."""
    return _UCP_CODE[refusal]
