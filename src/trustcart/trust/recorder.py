"""How a party reports an attestation event (TSD-ATT-EVT) to the transparency log.

Each event is signed by its initiator (the party that caused it) and anchored in the log. A
service takes an ``EventRecorder``; the composition root decides whether that is the log in the
same process (``LocalRecorder``) or the trust service over HTTP (``HttpRecorder``). Either way
the record is built and signed by the initiator's own key before it leaves the party.

Recording is part of the step it attests: if the log refuses, the caller sees the error.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import httpx

from trustcart.core.clock import Clock
from trustcart.core.ids import RandomBytes
from trustcart.crypto.keys import SigningKey
from trustcart.trust.errors import TrustError
from trustcart.trust.events import Chain, EventType, Participant, build_record, sign_record


class EventRecorder(Protocol):
    def __call__(
        self,
        event_type: EventType,
        chain: Chain,
        participants: Sequence[Participant],
        body: Mapping[str, Any],
        initiator_key: SigningKey,
    ) -> str:
        """Record the event; return the signed record (JWS)."""
        ...


class HttpRecorder:
    """Signs the record locally, then sends it to the trust service's ``POST /records``."""

    def __init__(
        self, client: httpx.Client, clock: Clock, random_bytes: RandomBytes = secrets.token_bytes
    ) -> None:
        self._client = client
        self._clock = clock
        self._random = random_bytes

    def __call__(
        self,
        event_type: EventType,
        chain: Chain,
        participants: Sequence[Participant],
        body: Mapping[str, Any],
        initiator_key: SigningKey,
    ) -> str:
        record = build_record(
            event_type=event_type,
            chain=chain,
            participants=participants,
            event_body=body,
            now=self._clock.now(),
            random_bytes=self._random,
        )
        token = sign_record(record, initiator_key)
        response = self._client.post("/records", json={"record": token})
        if response.status_code != 201:
            raise TrustError(f"the log refused the record: {response.status_code} {response.text}")
        return token
