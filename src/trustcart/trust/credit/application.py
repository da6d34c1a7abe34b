"""The credit association application (TSD-CRD-ASC step 1), ``association-application``.

The associated subject names the Agent, its relationship evidence, its role, the purpose and
scope it accepts, how it will confirm (``DIRECT_SIGNATURE`` or ``ATTESTED_CONFIRMATION``) and
how credit queries will be authorized, with a replay-resistance element. An application is
the ``PENDING`` stage of a credential (``lifecycle``): nothing is signed yet.

Every application that exists matches the pinned schema: ``from_json`` checks the wire object
(unknown members refused), and building one checks its own ``to_json()`` again.

>>> from datetime import UTC, datetime
>>> app = create_application(
...     application_id="application-1", subject_id="subject:alice", agent_id="agent:shopper",
...     association_role="OPERATOR", relationship_evidence_refs=("urn:evidence:1",),
...     confirmation_method=ConfirmationMethod.ATTESTED_CONFIRMATION, issuer_id="issuer:1",
...     purpose="MERCHANT_RISK_REFERENCE", scope=("merchant:store",),
...     authorization_mode=AuthorizationMode.PER_REQUEST,
...     anti_replay=AntiReplay(nonce="application-nonce-0001"),
...     now=datetime(2026, 8, 12, 8, 0, tzinfo=UTC))
>>> app.to_json()["requestedAt"], AssociationApplication.from_json(app.to_json()) == app
('2026-08-12T08:00:00Z', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcart.core.clock import format_instant
from trustcart.trust.credit.errors import InvalidCreditObject
from trustcart.trust.credit.schemas import CreditSchema, validate
from trustcart.trust.credit.values import (
    PROFILE_VERSION,
    AntiReplay,
    AuthorizationMode,
    ConfirmationMethod,
    instant,
    put,
    require_set,
    require_text,
    require_timestamp,
)


@dataclass(frozen=True)
class AssociationApplication:
    application_id: str
    subject_id: str
    agent_id: str
    association_role: str
    relationship_evidence_refs: tuple[str, ...]
    confirmation_method: ConfirmationMethod
    issuer_id: str
    purpose: str
    scope: tuple[str, ...]
    authorization_mode: AuthorizationMode
    requested_at: str
    valid_from: str
    anti_replay: AntiReplay
    expires_at: str | None = None
    message_version: str = PROFILE_VERSION

    def __post_init__(self) -> None:
        for name in ("application_id", "subject_id", "agent_id", "association_role"):
            require_text(getattr(self, name), name)
        require_text(self.issuer_id, "issuer_id")
        require_text(self.purpose, "purpose")
        require_set(self.relationship_evidence_refs, "relationshipEvidenceRefs")
        require_set(self.scope, "scope")
        for name in ("requested_at", "valid_from"):
            require_timestamp(getattr(self, name), name)
        if self.expires_at is not None and instant(
            require_timestamp(self.expires_at, "expires_at")
        ) <= instant(self.valid_from):
            raise InvalidCreditObject("expiresAt must be after validFrom")
        validate(CreditSchema.APPLICATION, self.to_json())

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> AssociationApplication:
        """Read a wire application; raise InvalidCreditObject if it breaks the schema."""
        validate(CreditSchema.APPLICATION, obj)
        return cls(
            application_id=obj["applicationId"],
            message_version=obj["messageVersion"],
            subject_id=obj["subjectId"],
            agent_id=obj["agentId"],
            association_role=obj["associationRole"],
            relationship_evidence_refs=tuple(obj["relationshipEvidenceRefs"]),
            confirmation_method=ConfirmationMethod(obj["confirmationMethod"]),
            issuer_id=obj["issuerId"],
            purpose=obj["purpose"],
            scope=tuple(obj["scope"]),
            authorization_mode=AuthorizationMode(obj["authorizationMode"]),
            requested_at=obj["requestedAt"],
            valid_from=obj["validFrom"],
            expires_at=obj.get("expiresAt"),
            anti_replay=AntiReplay.from_json(obj["antiReplay"]),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "applicationId": self.application_id,
            "messageVersion": self.message_version,
            "subjectId": self.subject_id,
            "agentId": self.agent_id,
            "associationRole": self.association_role,
            "relationshipEvidenceRefs": list(self.relationship_evidence_refs),
            "confirmationMethod": self.confirmation_method.value,
            "issuerId": self.issuer_id,
            "purpose": self.purpose,
            "scope": list(self.scope),
            "authorizationMode": self.authorization_mode.value,
            "requestedAt": self.requested_at,
            "validFrom": self.valid_from,
            "antiReplay": self.anti_replay.to_json(),
        }
        put(out, "expiresAt", self.expires_at)
        return out


def create_application(
    *,
    application_id: str,
    subject_id: str,
    agent_id: str,
    association_role: str,
    relationship_evidence_refs: tuple[str, ...],
    confirmation_method: ConfirmationMethod,
    issuer_id: str,
    purpose: str,
    scope: tuple[str, ...],
    authorization_mode: AuthorizationMode,
    anti_replay: AntiReplay,
    now: datetime,
    valid_from: datetime | None = None,
    expires_at: datetime | None = None,
) -> AssociationApplication:
    """A new application requested at ``now`` (the ``PENDING`` stage of a credential)."""
    return AssociationApplication(
        application_id=application_id,
        subject_id=subject_id,
        agent_id=agent_id,
        association_role=association_role,
        relationship_evidence_refs=relationship_evidence_refs,
        confirmation_method=confirmation_method,
        issuer_id=issuer_id,
        purpose=purpose,
        scope=scope,
        authorization_mode=authorization_mode,
        requested_at=format_instant(now),
        valid_from=format_instant(valid_from or now),
        expires_at=None if expires_at is None else format_instant(expires_at),
        anti_replay=anti_replay,
    )
