"""The append-only transparency log (RFC 9162 style) and the attestation service on top of it.

This is the role ACT gives the on-chain anchor (TSD-ATT-OCA), kept off-chain: every attestation
record's compact JWS is a leaf; the log signs tree heads (``act-sth+jwt``) and proves inclusion
and consistency with ``trustcart.trust.merkle``. Rules kept here:

* **append-only, gap-free:** an append locks the log's head row (``SELECT ... FOR UPDATE``;
  SQLite's ``BEGIN IMMEDIATE`` serializes writers anyway), takes ``tree_size`` as the new
  leaf's index and bumps it, all in one transaction, so concurrent appends get distinct,
  consecutive indexes on both databases and a failed append leaves no hole;
* **anchors are never overwritten:** a record id already in the log is refused with
  ``DuplicateRecord``, which names where it already sits (ACT returns the existing height);
* **signed heads are kept:** every tree head the log signs is stored, so a later dispute can
  ask for a consistency proof from any head ever handed out.

Leaf hashes are stored; a proof or a root loads the leaf hashes of the tree it is about and
does O(n) hashing (no quadratic work). That is fine for a shop's log; a very large log would
cache complete-subtree hashes instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from trustcart.core.clock import Clock, format_instant
from trustcart.core.ids import RandomBytes
from trustcart.crypto.jws import KeyResolver
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.store.db import Database
from trustcart.store.trust import AttestationRow, LogHeadRow, LogLeafRow, TreeHeadRow
from trustcart.store.upsert import insert_or_ignore
from trustcart.trust.errors import DuplicateRecord, LogError, ProofRangeError
from trustcart.trust.events import (
    Chain,
    EventType,
    Participant,
    VerifiedRecord,
    build_record,
    sign_record,
    verify_record,
)
from trustcart.trust.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
)
from trustcart.trust.treehead import TreeHead, sign_tree_head


class TransparencyLog:
    """One append-only Merkle log in the database, signing heads with ``log_key``.

    >>> log = TransparencyLog(db, SigningKey.generate(), "log:trustcart", clock)  # doctest: +SKIP
    >>> log.append(b"leaf")                                                       # doctest: +SKIP
    0
    """

    def __init__(self, db: Database, log_key: SigningKey, log_id: str, clock: Clock) -> None:
        if not isinstance(log_id, str) or not log_id:
            raise LogError("log_id must be a non-empty string")
        self.db = db
        self.log_id = log_id
        self.clock = clock
        self._key = log_key
        self._head_ready = False

    @property
    def public_key(self) -> PublicKey:
        return self._key.public

    # -- appending ------------------------------------------------------------------------------

    def _ensure_head(self) -> None:
        # Created once, outside the append transaction, with ON CONFLICT DO NOTHING so two
        # processes starting the same log cannot both insert it.
        if self._head_ready:
            return
        with self.db.transaction() as session:
            insert_or_ignore(
                session,
                LogHeadRow,
                {"log_id": self.log_id, "tree_size": 0},
                conflict_columns=["log_id"],
            )
        self._head_ready = True

    def _lock_head(self, session: Session) -> LogHeadRow:
        # The head row must exist already: creating it here would open a second transaction
        # inside this one, which on SQLite waits for the write lock this one holds.
        query = select(LogHeadRow).where(LogHeadRow.log_id == self.log_id).with_for_update()
        return session.execute(query).scalar_one()

    def _append_locked(self, session: Session, head: LogHeadRow, leaf: bytes) -> int:
        if not isinstance(leaf, bytes):
            raise LogError("a leaf is bytes")
        index = head.tree_size
        session.execute(
            insert(LogLeafRow).values(
                log_id=self.log_id,
                leaf_index=index,
                leaf_hash=leaf_hash(leaf),
                leaf=leaf,
                appended_at=format_instant(self.clock.now()),
            )
        )
        head.tree_size = index + 1
        session.flush()
        return index

    def append(self, leaf: bytes) -> int:
        """Append one leaf in its own transaction; return its index."""
        self._ensure_head()
        with self.db.transaction() as session:
            return self._append_locked(session, self._lock_head(session), leaf)

    # -- reading --------------------------------------------------------------------------------

    def size(self) -> int:
        self._ensure_head()
        with self.db.transaction() as session:
            return self._size(session)

    def _size(self, session: Session) -> int:
        query = select(LogHeadRow.tree_size).where(LogHeadRow.log_id == self.log_id)
        return int(session.execute(query).scalar_one())

    def leaf(self, index: int) -> bytes:
        with self.db.transaction() as session:
            row = session.get(LogLeafRow, (self.log_id, index))
            if row is None:
                raise ProofRangeError(f"no leaf {index} in log {self.log_id}")
            return bytes(row.leaf)

    def _leaf_hashes(self, session: Session, size: int) -> list[bytes]:
        query = (
            select(LogLeafRow.leaf_hash)
            .where(LogLeafRow.log_id == self.log_id, LogLeafRow.leaf_index < size)
            .order_by(LogLeafRow.leaf_index)
        )
        hashes = [bytes(h) for h in session.execute(query).scalars()]
        if len(hashes) != size:
            raise LogError(f"log {self.log_id} has a gap below size {size}")
        return hashes

    def tree_head(self) -> str:
        """Sign and store a tree head for the current size; return its compact JWS."""
        self._ensure_head()
        with self.db.transaction() as session:
            size = self._size(session)
            root = root_from_leaf_hashes(self._leaf_hashes(session, size))
            head = TreeHead(self.log_id, size, root, format_instant(self.clock.now()))
            token = sign_tree_head(head, self._key)
            session.add(
                TreeHeadRow(
                    log_id=self.log_id,
                    tree_size=size,
                    root_hash=root,
                    timestamp=head.timestamp,
                    jws=token,
                )
            )
            return token

    def signed_tree_heads(self) -> list[str]:
        """Every tree head this log has signed, oldest first."""
        with self.db.transaction() as session:
            query = (
                select(TreeHeadRow.jws)
                .where(TreeHeadRow.log_id == self.log_id)
                .order_by(TreeHeadRow.id)
            )
            return list(session.execute(query).scalars())

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``tree_size`` leaves."""
        self._ensure_head()
        with self.db.transaction() as session:
            current = self._size(session)
            if not 0 <= index < tree_size <= current:
                raise ProofRangeError(
                    f"need 0 <= index {index} < tree_size {tree_size} <= log size {current}"
                )
            return inclusion_proof(self._leaf_hashes(session, tree_size), index)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The proof that the tree of ``old_size`` leaves is a prefix of the ``new_size`` one."""
        self._ensure_head()
        with self.db.transaction() as session:
            current = self._size(session)
            if not 0 <= old_size <= new_size <= current:
                raise ProofRangeError(f"need 0 <= {old_size} <= {new_size} <= log size {current}")
            return consistency_proof(self._leaf_hashes(session, new_size), old_size)


@dataclass(frozen=True)
class RecordedEvent:
    """An attestation record as anchored: its JWS and where it sits in the log."""

    record_jws: str
    leaf_index: int
    record_id: str
    event_type: EventType


class AttestationService:
    """Builds, signs and anchors attestation events (TSD-ATT-EVT/OFF/OCA) in one go."""

    def __init__(
        self,
        log: TransparencyLog,
        clock: Clock,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> None:
        self.log = log
        self.clock = clock
        self.random_bytes = random_bytes

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
        """Anchor a record its initiator signed elsewhere; it must verify against ``keys``."""
        return self._anchor(verify_record(record_jws, keys))

    def _anchor(self, record: VerifiedRecord) -> RecordedEvent:
        log = self.log
        log._ensure_head()
        with log.db.transaction() as session:
            head = log._lock_head(session)  # taken first: the duplicate check is then race-free
            existing = session.get(AttestationRow, record.record_id)
            if existing is not None:
                raise DuplicateRecord(record.record_id, existing.leaf_index)
            index = log._append_locked(session, head, record.token.encode("ascii"))
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
        return RecordedEvent(record.token, index, record.record_id, record.event_type)

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
        with self.log.db.transaction() as session:
            rows = session.execute(query.order_by(AttestationRow.leaf_index)).scalars().all()
            return [
                RecordedEvent(
                    row.record_jws, row.leaf_index, row.record_id, EventType(row.event_type)
                )
                for row in rows
            ]
