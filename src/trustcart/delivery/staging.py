"""Owing a message: build it and add it to the outbox in the caller's transaction.

A record is built and signed by its initiator's key right here, before the commit, so its
``record_id`` is fixed with the fact it reports: however often it is delivered it is the same
record, and the log answers a repeat with the entry it already holds. A notice is the JSON
the merchant will receive, under an id of its own.

``first_try`` is when other relays may take the message: ``now`` when nobody will deliver it
at once, ``now + relay.FIRST_TRY_GRACE`` when the writer tries it itself right after commit.

``EventOutbox`` does this for one party that reports with one key (the status service's
lifecycle events): it is the ``delegation.service.StagedEvents`` the status service calls.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from trustcart.core.ids import RandomBytes
from trustcart.crypto.keys import SigningKey
from trustcart.delivery.errors import InvalidMessage
from trustcart.delivery.messages import LOG, MessageKind, OutboxMessage
from trustcart.delivery.outbox import stage
from trustcart.trust.events import Chain, EventType, Participant, build_record, sign_record


def stage_record(
    session: Session,
    *,
    sender: str,
    event_type: EventType,
    chain: Chain,
    participants: Sequence[Participant],
    body: Mapping[str, Any],
    key: SigningKey,
    now: datetime,
    random_bytes: RandomBytes,
    subject: str | None = None,
    first_try: datetime | None = None,
) -> str:
    """Build, sign (as ``key``) and stage one attestation record; return its record id."""
    record = build_record(
        event_type=event_type,
        chain=chain,
        participants=participants,
        event_body=body,
        now=now,
        random_bytes=random_bytes,
    )
    token = sign_record(record, key)
    stage(
        session,
        OutboxMessage(
            message_id=str(record["record_id"]),
            sender=sender,
            kind=MessageKind.RECORD,
            destination=LOG,
            payload=token,
            created_at=now,
            next_attempt_at=first_try or now,
            subject=subject,
        ),
    )
    return str(record["record_id"])


def stage_notice(
    session: Session,
    *,
    sender: str,
    notice_id: str,
    merchant_id: str,
    notice: Mapping[str, Any],
    now: datetime,
    subject: str | None = None,
    first_try: datetime | None = None,
) -> str:
    """Stage a notice owed to ``merchant_id``; return its id."""
    stage(
        session,
        OutboxMessage(
            message_id=notice_id,
            sender=sender,
            kind=MessageKind.NOTICE,
            destination=merchant_id,
            payload=json.dumps(dict(notice), sort_keys=True),
            created_at=now,
            next_attempt_at=first_try or now,
            subject=subject,
        ),
    )
    return notice_id


class EventOutbox:
    """Stages records one party signs with one key, in whatever transaction calls it."""

    def __init__(
        self,
        party: Participant,
        key: SigningKey,
        *,
        random_bytes: RandomBytes = secrets.token_bytes,
        first_try_delay: timedelta = timedelta(0),
    ) -> None:
        if party.kid != key.kid:
            raise InvalidMessage("the party's kid must be the signing key's")
        self._party = party
        self._key = key
        self._random = random_bytes
        self._delay = first_try_delay

    def __call__(
        self,
        session: Session,
        event_type: str,
        chain: Mapping[str, str],
        body: Mapping[str, Any],
        now: datetime,
    ) -> str:
        """Stage ``event_type`` about ``chain`` signed by the party; return the record id."""
        return stage_record(
            session,
            sender=self._party.id,
            event_type=EventType(event_type),
            chain=Chain(**chain),
            participants=[self._party],
            body=body,
            key=self._key,
            now=now,
            random_bytes=self._random,
            subject=chain.get("delegation_id"),
            first_try=now + self._delay,
        )
