"""An ``EventRecorder`` for services that run beside the log, in the same process.

The record is still built and signed by the initiator's own key; only the transport differs
from ``recorder.HttpRecorder``. Kept apart from ``recorder`` so that a party that reports over
HTTP (the agent, the wallet) never loads the log and its storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trustcart.crypto.keys import SigningKey
from trustcart.trust.attestations import AttestationService
from trustcart.trust.events import Chain, EventType, Participant


class LocalRecorder:
    """Anchors straight into a log in the same process."""

    def __init__(self, attestations: AttestationService) -> None:
        self._attestations = attestations

    def __call__(
        self,
        event_type: EventType,
        chain: Chain,
        participants: Sequence[Participant],
        body: Mapping[str, Any],
        initiator_key: SigningKey,
    ) -> str:
        recorded = self._attestations.record(event_type, chain, participants, body, initiator_key)
        return recorded.record_jws
