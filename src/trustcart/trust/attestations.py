"""The attestation service (TSD-ATT-EVT/OFF): builds, admits, signs and anchors event records.

Each record is a leaf of the transparency log (``log.TransparencyLog``); the service keeps the
chain index (which records belong to which intent, delegation, order and trade) that evidence
packaging and admission read, and refuses, under the log's append lock, what the admission
rule (``admission``) does not accept, so a refused record leaves the log unchanged.

The chain history that admission folds is read under the append lock on every append, and a
standing delegation's chain grows with each purchase; so only the event types the fold uses
(``admission.FACT_EVENTS``) are read, and each record is parsed once per process (a record's
JWS never changes: ``_parsed`` is a pure function of it, cached).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from trustcart.core.clock import Clock, format_instant
from trustcart.core.ids import RandomBytes
from trustcart.crypto.jws import KeyResolver, peek_header, peek_payload
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.store.trust import AttestationRow
from trustcart.trust.admission import FACT_EVENTS, RecordAdmission
from trustcart.trust.errors import DuplicateRecord, LogError
from trustcart.trust.events import (
    Chain,
    EventType,
    Participant,
    VerifiedRecord,
    build_record,
    parse_record,
    sign_record,
    verify_record,
)
from trustcart.trust.log import TransparencyLog

PARSED_CACHE_SIZE = 65536


@lru_cache(maxsize=PARSED_CACHE_SIZE)
def _parsed(token: str) -> VerifiedRecord:
    """An anchored record read back (it was verified when it was anchored)."""
    return parse_record(peek_payload(token), str(peek_header(token)["kid"]), token)


@dataclass(frozen=True)
class RecordedEvent:
    """An attestation record as anchored: its JWS and where it sits in the log."""

    record_jws: str
    leaf_index: int
    record_id: str
    event_type: EventType
    duplicate: bool = False  # the log already held this very record: nothing was appended


class AttestationService:
    """Builds, signs and anchors attestation events (TSD-ATT-EVT/OFF/OCA) in one go.

    With ``admission`` every record, built here or sent by another party, must pass the log's
    admission rule before it is appended; without it the service anchors whatever verifies
    (tests of the log's mechanics; the trust service's HTTP shell refuses to run so).
    """

    def __init__(
        self,
        log: TransparencyLog,
        clock: Clock,
        random_bytes: RandomBytes = secrets.token_bytes,
        *,
        admission: RecordAdmission | None = None,
    ) -> None:
        self.log = log
        self.clock = clock
        self.random_bytes = random_bytes
        self.admission = admission

    def record(
        self,
        event_type: EventType | str,
        chain: Chain,
        participants: Sequence[Participant],
        event_body: Mapping[str, Any],
        initiator_key: SigningKey,
        *,
        event_time: datetime | None = None,
    ) -> RecordedEvent:
        """Build the record, sign it as ``initiator_key``, and append it to the log."""
        payload = build_record(
            event_type=event_type,
            chain=chain,
            participants=participants,
            event_body=event_body,
            now=self.clock.now(),
            random_bytes=self.random_bytes,
            event_time=event_time,
        )
        token = sign_record(payload, initiator_key)
        return self._anchor(verify_record(token, {initiator_key.kid: initiator_key.public}))

    def anchor(self, record_jws: str, keys: Mapping[str, PublicKey] | KeyResolver) -> RecordedEvent:
        """Anchor a record its initiator signed elsewhere; it must verify against ``keys``.

        Idempotent by record id: the very record again is answered with the entry the log
        holds (``duplicate=True``, nothing appended, admission not asked again), so a sender
        that retries after a lost answer learns where its record sits. Another record under an
        id already anchored is ``DuplicateRecord``: anchors are never overwritten.
        """
        return self._anchor(verify_record(record_jws, keys))

    def _anchor(self, record: VerifiedRecord) -> RecordedEvent:
        log = self.log
        log._ensure_head()
        with log.db.transaction() as session:
            head = log._lock_head(session)  # taken first: the duplicate check is then race-free
            existing = session.get(AttestationRow, record.record_id)
            if existing is not None:
                if existing.log_id == log.log_id and existing.record_jws == record.token:
                    return RecordedEvent(
                        existing.record_jws,
                        existing.leaf_index,
                        existing.record_id,
                        EventType(existing.event_type),
                        duplicate=True,
                    )
                raise DuplicateRecord(record.record_id, existing.leaf_index)
            if self.admission is not None:
                history = self._chain_history(session, record.chain)
                self.admission.check(record, history, self.clock.now())
            index, frontier, token = log._append_locked(session, head, record.token.encode("ascii"))
            session.add(
                AttestationRow(
                    record_id=record.record_id,
                    log_id=log.log_id,
                    leaf_index=index,
                    event_type=record.event_type.value,
                    intent_id=record.chain.intent_id,
                    delegation_id=record.chain.delegation_id,
                    out_trade_no=record.chain.out_trade_no,
                    trade_no=record.chain.trade_no,
                    event_time=format_instant(record.event_time),
                    record_jws=record.token,
                )
            )
        log._publish(frontier, token)
        return RecordedEvent(record.token, index, record.record_id, record.event_type)

    def _chain_history(self, session: Session, chain: Chain) -> list[VerifiedRecord]:
        """The records already anchored that share the record's intent, delegation or order,
        of the types admission folds (``FACT_EVENTS``), in log order."""
        related = [AttestationRow.intent_id == chain.intent_id]
        if chain.delegation_id is not None:
            related.append(AttestationRow.delegation_id == chain.delegation_id)
        if chain.out_trade_no is not None:
            related.append(AttestationRow.out_trade_no == chain.out_trade_no)
        query = (
            select(AttestationRow.record_jws)
            .where(
                AttestationRow.log_id == self.log.log_id,
                AttestationRow.event_type.in_([kind.value for kind in FACT_EVENTS]),
                or_(*related),
            )
            .order_by(AttestationRow.leaf_index)
        )
        return [_parsed(token) for token in session.execute(query).scalars()]

    def events_for(
        self,
        *,
        intent_id: str | None = None,
        delegation_id: str | None = None,
        out_trade_no: str | None = None,
    ) -> list[RecordedEvent]:
        """Anchored events matching every given chain id, in log order."""
        filters = {
            "intent_id": intent_id,
            "delegation_id": delegation_id,
            "out_trade_no": out_trade_no,
        }
        given = {name: value for name, value in filters.items() if value is not None}
        if not given:
            raise LogError("events_for needs intent_id, delegation_id or out_trade_no")
        query = select(AttestationRow).where(AttestationRow.log_id == self.log.log_id)
        for name, value in given.items():
            query = query.where(getattr(AttestationRow, name) == value)
        with self.log.db.read() as session:
            rows = session.execute(query.order_by(AttestationRow.leaf_index)).scalars().all()
            return [
                RecordedEvent(
                    row.record_jws, row.leaf_index, row.record_id, EventType(row.event_type)
                )
                for row in rows
            ]
