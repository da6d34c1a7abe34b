"""The intent authorization credential (IAC, ADD-IAC-ISS): issue and verify.

An IAC is a JWS (``typ: act-iac+jwt``) signed by the delegator's own key over the JCS bytes of
the *filtered* ISR: only fields that affect authorization are signed (ACT: "sign the filtered
payload, not the ISR"); the full ISR is bound by ``source_isr_digest``.

Issuance refuses missing key fields (ACT checklist 3, 7); verification re-checks every rule,
because a verifier must not trust that the issuer did. Unknown ``ext`` members that could
narrow the grant are refused rather than ignored (fail closed).

>>> # iac = issue_iac(isr, delegation_id="dlg_1", delegator_identity="user:alice",
>>> #                 delegator_key=key, status_url="http://.../status", now=now)
>>> # verify_iac(iac.token, {key.kid: key.public}).max_total
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.core.clock import format_instant, parse_instant
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.core.typs import IAC_TYP
from trustcart.crypto.jws import sign_compact, verify_compact
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.isr import ISR
from trustcart.delegation.terms import AgentBehavior, CommerceConstraints, DelegationMode

STATUS_REFERENCE_TYPE = "TrustcartSignedStatus/1"
CONFIRMATION_METHODS = frozenset({"DEVICE_SIGNATURE", "PASSKEY", "EXPLICIT_CLICK"})

_REQUIRED = (
    "delegation_id",
    "delegator_identity",
    "agent_id",
    "validity_start_time",
    "validity_end_time",
    "max_total_amount",
    "currency",
    "status_reference",
    "source_isr_digest",
    "intent_id",
)


@dataclass(frozen=True)
class IAC:
    delegation_id: str
    intent_id: str
    delegator_identity: str
    agent_id: str
    delegation_mode: DelegationMode
    validity_start: datetime
    validity_end: datetime
    max_total: Money
    allowed_payment_methods: tuple[str, ...]
    user_confirmation_method: str | None
    user_confirmation_timestamp: datetime | None
    source_isr_digest: str
    status_url: str
    issued_at: datetime
    commerce: CommerceConstraints
    behavior: AgentBehavior
    token: str  # the JWS compact serialization this IAC was read from or issued as

    def __post_init__(self) -> None:
        if self.validity_end <= self.validity_start:
            raise InvalidCredential("validity_end_time must be after validity_start_time")
        if self.max_total.is_negative():
            raise InvalidCredential("max_total_amount must be >= 0")
        if (self.user_confirmation_method is None) != (self.user_confirmation_timestamp is None):
            raise InvalidCredential("user_confirmation_timestamp goes with the method")
        self.commerce.check_against_total(self.max_total)

    @property
    def currency(self) -> str:
        return self.max_total.currency

    def in_window(self, now: datetime) -> bool:
        return self.validity_start <= now < self.validity_end

    def payload(self) -> dict[str, Any]:
        return iac_payload(self)


def iac_payload(iac: IAC) -> dict[str, Any]:
    out: dict[str, Any] = {
        "delegation_id": iac.delegation_id,
        "intent_id": iac.intent_id,
        "delegator_identity": iac.delegator_identity,
        "agent_id": iac.agent_id,
        "delegation_mode": iac.delegation_mode.value,
        "validity_start_time": format_instant(iac.validity_start),
        "validity_end_time": format_instant(iac.validity_end),
        "max_total_amount": iac.max_total.amount_str(),
        "currency": iac.currency,
        "allowed_payment_methods": list(iac.allowed_payment_methods),
        "source_isr_digest": iac.source_isr_digest,
        "status_reference": {"type": STATUS_REFERENCE_TYPE, "url": iac.status_url},
        "iat": format_instant(iac.issued_at),
        "ext": {"commerce": iac.commerce.to_json(), "agent_behavior": iac.behavior.to_json()},
    }
    if iac.user_confirmation_method is not None and iac.user_confirmation_timestamp is not None:
        out["user_confirmation_method"] = iac.user_confirmation_method
        out["user_confirmation_timestamp"] = format_instant(iac.user_confirmation_timestamp)
    return out


def issue_iac(
    isr: ISR,
    *,
    delegation_id: str,
    delegator_identity: str,
    delegator_key: SigningKey,
    status_url: str,
    now: datetime,
    confirmation_method: str = "DEVICE_SIGNATURE",
) -> IAC:
    """Filter the ISR, sign it with the delegator's key, and return the IAC."""
    unsigned = unsigned_iac(
        isr,
        delegation_id=delegation_id,
        delegator_identity=delegator_identity,
        status_url=status_url,
        now=now,
        confirmation_method=confirmation_method,
    )
    token = sign_compact(iac_payload(unsigned), delegator_key, typ=IAC_TYP)
    return parse_iac_payload(iac_payload(unsigned), token)


def unsigned_iac(
    isr: ISR,
    *,
    delegation_id: str,
    delegator_identity: str,
    status_url: str,
    now: datetime,
    confirmation_method: str = "DEVICE_SIGNATURE",
) -> IAC:
    """The IAC of ``issue_iac`` before its signature (``token`` empty): what a delegator whose
    key is elsewhere (a browser) signs ``iac_payload`` of."""
    if confirmation_method not in CONFIRMATION_METHODS:
        raise InvalidCredential(f"unknown confirmation method {confirmation_method!r}")
    if not delegation_id or not delegator_identity or not status_url:
        raise InvalidCredential("delegation_id, delegator_identity and status_url are required")
    return IAC(
        delegation_id=delegation_id,
        intent_id=isr.intent_id,
        delegator_identity=delegator_identity,
        agent_id=isr.agent_id,
        delegation_mode=isr.delegation_mode,
        validity_start=isr.validity_start,
        validity_end=isr.validity_end,
        max_total=isr.max_total,
        allowed_payment_methods=isr.allowed_payment_methods,
        user_confirmation_method=confirmation_method,
        user_confirmation_timestamp=now,
        source_isr_digest=isr.digest(),
        status_url=status_url,
        issued_at=now,
        commerce=isr.commerce,
        behavior=isr.behavior,
        token="",
    )


def parse_iac_payload(payload: Mapping[str, Any], token: str) -> IAC:
    """Build an IAC from a (verified) payload; raise InvalidCredential on any defect."""
    missing = [name for name in _REQUIRED if name not in payload]
    if missing:
        raise InvalidCredential(f"IAC is missing {missing}")
    known = {
        *_REQUIRED,
        "delegation_mode",
        "allowed_payment_methods",
        "iat",
        "ext",
        "user_confirmation_method",
        "user_confirmation_timestamp",
    }
    unknown = set(payload) - known
    if unknown:
        raise InvalidCredential(f"IAC has unknown fields {sorted(unknown)}")
    try:
        currency = payload["currency"]
        ext = payload.get("ext", {})
        if not isinstance(ext, dict) or set(ext) - {"commerce", "agent_behavior", "fulfillment"}:
            raise InvalidCredential(
                "IAC ext may hold commerce, agent_behavior and fulfillment only"
            )
        reference = payload["status_reference"]
        if not isinstance(reference, dict) or reference.get("type") != STATUS_REFERENCE_TYPE:
            raise InvalidCredential("unsupported status_reference")
        confirmation_time = payload.get("user_confirmation_timestamp")
        methods = payload.get("allowed_payment_methods", [])
        if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
            raise InvalidCredential("allowed_payment_methods must be a list of strings")
        for name in (
            "delegation_id",
            "intent_id",
            "delegator_identity",
            "agent_id",
            "source_isr_digest",
        ):
            if not isinstance(payload[name], str) or not payload[name]:
                raise InvalidCredential(f"{name} must be a non-empty string")
        return IAC(
            delegation_id=payload["delegation_id"],
            intent_id=payload["intent_id"],
            delegator_identity=payload["delegator_identity"],
            agent_id=payload["agent_id"],
            delegation_mode=DelegationMode(payload.get("delegation_mode", "SPECIFIED")),
            validity_start=parse_instant(payload["validity_start_time"]),
            validity_end=parse_instant(payload["validity_end_time"]),
            max_total=Money.parse(payload["max_total_amount"], currency),
            allowed_payment_methods=tuple(methods),
            user_confirmation_method=payload.get("user_confirmation_method"),
            user_confirmation_timestamp=parse_instant(confirmation_time)
            if confirmation_time is not None
            else None,
            source_isr_digest=payload["source_isr_digest"],
            status_url=str(reference["url"]),
            issued_at=parse_instant(payload.get("iat", payload["validity_start_time"])),
            commerce=CommerceConstraints.from_json(ext.get("commerce"), currency),
            behavior=AgentBehavior.from_json(ext.get("agent_behavior")),
            token=token,
        )
    except InvalidCredential:
        raise
    except (KeyError, TypeError, ValueError, ValidationError) as e:
        raise InvalidCredential(f"invalid IAC: {e}") from e


def verify_iac(
    token: str, keys: Mapping[str, PublicKey] | Callable[[str], PublicKey | None]
) -> IAC:
    """Verify the delegator's signature and the IAC's structure.

    Raises ``InvalidSignature`` (bad or unknown signature) or ``InvalidCredential``. Status and
    validity window are *not* checked here: they depend on the time of use, see
    ``constraints.evaluate_purchase`` and ``status``.
    """
    verified = verify_compact(token, keys, typ=IAC_TYP)
    return parse_iac_payload(verified.payload, token)
