"""What a TSD-CRD verifier looks up: agents, credentials and their status, authorizations and
their query windows, credit assertions, and the anti-replay values already used.

``CreditRegistry`` is the port; ``InMemoryCreditRegistry`` is the in-process one (immutable:
``after(outcome)`` returns a new registry that remembers the replay value and the query window
an outcome used). A lookup that cannot be answered *now* raises ``DependencyUnavailable``; an
answer of ``None`` means "no such thing" (and is judged as such, failing closed).

>>> registry = InMemoryCreditRegistry(agents=frozenset({"agent:a"}))
>>> registry.agent_registered("agent:a"), registry.agent_registered("agent:b")
(True, False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from trustcart.trust.credit.assertions import AgentAssociatedCreditAssertion, SubjectCreditAssertion
from trustcart.trust.credit.authorization import CreditQueryAuthorization
from trustcart.trust.credit.credential import AssociationCredential
from trustcart.trust.credit.errors import DependencyUnavailable
from trustcart.trust.credit.lifecycle import CredentialStatusRecord
from trustcart.trust.credit.window import RequestWindow

if TYPE_CHECKING:
    from trustcart.trust.credit.verifier import VerificationOutcome


class Dependency(StrEnum):
    """The outside services a verification depends on (for simulated outages)."""

    STATUS = "status"  # the issuer's credential status service
    CREDIT_SERVICE = "credit-service"  # the credit service provider's assertions


class CreditRegistry(Protocol):
    def agent_registered(self, agent_id: str) -> bool: ...

    def credential(self, credential_id: str) -> AssociationCredential | None: ...

    def status(self, credential_id: str) -> CredentialStatusRecord | None: ...

    def authorization(self, authorization_id: str) -> CreditQueryAuthorization | None: ...

    def window(self, authorization_id: str) -> RequestWindow | None: ...

    def subject_assertion(self, reference: str) -> SubjectCreditAssertion | None: ...

    def agent_assertion(self, credential_id: str) -> AgentAssociatedCreditAssertion | None: ...

    def replay_seen(self, replay_key: str) -> bool: ...


def _frozen(mapping: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class InMemoryCreditRegistry:
    """A registry held in memory; every "change" returns a new registry."""

    agents: frozenset[str] = frozenset()
    credentials: Mapping[str, AssociationCredential] = field(default_factory=dict)
    statuses: Mapping[str, CredentialStatusRecord] = field(default_factory=dict)
    authorizations: Mapping[str, CreditQueryAuthorization] = field(default_factory=dict)
    windows: Mapping[str, RequestWindow] = field(default_factory=dict)
    subject_assertions: Mapping[str, SubjectCreditAssertion] = field(default_factory=dict)
    agent_assertions: Mapping[str, AgentAssociatedCreditAssertion] = field(default_factory=dict)
    used_replay_keys: frozenset[str] = frozenset()
    unavailable: frozenset[Dependency] = frozenset()

    def __post_init__(self) -> None:
        for name in (
            "credentials",
            "statuses",
            "authorizations",
            "windows",
            "subject_assertions",
            "agent_assertions",
        ):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def agent_registered(self, agent_id: str) -> bool:
        return agent_id in self.agents

    def credential(self, credential_id: str) -> AssociationCredential | None:
        return self.credentials.get(credential_id)

    def status(self, credential_id: str) -> CredentialStatusRecord | None:
        if Dependency.STATUS in self.unavailable:
            raise DependencyUnavailable("the credential status service does not answer")
        return self.statuses.get(credential_id)

    def authorization(self, authorization_id: str) -> CreditQueryAuthorization | None:
        return self.authorizations.get(authorization_id)

    def window(self, authorization_id: str) -> RequestWindow | None:
        return self.windows.get(authorization_id)

    def subject_assertion(self, reference: str) -> SubjectCreditAssertion | None:
        if Dependency.CREDIT_SERVICE in self.unavailable:
            raise DependencyUnavailable("the credit service provider does not answer")
        return self.subject_assertions.get(reference)

    def agent_assertion(self, credential_id: str) -> AgentAssociatedCreditAssertion | None:
        return self.agent_assertions.get(credential_id)

    def replay_seen(self, replay_key: str) -> bool:
        return replay_key in self.used_replay_keys

    def replace(self, **changes: object) -> InMemoryCreditRegistry:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def after(self, outcome: VerificationOutcome) -> InMemoryCreditRegistry:
        """The registry once ``outcome``'s replay value and query window are recorded."""
        used = self.used_replay_keys
        if outcome.replay_key is not None:
            used = used | {outcome.replay_key}
        windows = dict(self.windows)
        if outcome.window is not None:
            authorization_id, window = outcome.window
            windows[authorization_id] = window
        return dataclasses.replace(self, used_replay_keys=used, windows=windows)
