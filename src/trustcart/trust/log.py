"""The append-only transparency log (RFC 9162 style) and the attestation service on top of it.

This is the role ACT gives the on-chain anchor (TSD-ATT-OCA), kept off-chain: every attestation
record's compact JWS is a leaf; the log signs tree heads (``act-sth+jwt``) and proves inclusion
and consistency with ``trustcart.trust.merkle``. Rules kept here:

* **append-only, gap-free:** an append locks the log's head row (``SELECT ... FOR UPDATE``;
  SQLite's ``BEGIN IMMEDIATE`` serializes writers anyway), takes ``tree_size`` as the new
  leaf's index and bumps it, all in one transaction, so concurrent appends get distinct,
  consecutive indexes on both databases and a failed append leaves no hole;
* **anchors are never overwritten:** the same record sent again is answered with the entry
  the log holds (ACT: a duplicate id returns the existing height); another record under an id
  already in the log is refused with ``DuplicateRecord``, which names where the first sits;
* **signed heads are kept:** every tree head the log signs is stored, so a later dispute can
  ask for a consistency proof from any head ever handed out;
* **heads are signed on append:** each append signs and stores the head of the new size in
  its own transaction, from a Merkle frontier the process keeps (``trust.frontier``: O(log n)
  per append, extended with what other processes appended), so reading the current head
  (``tree_head``) is one read-only query, cached per size: no lock, no hashing, no row written;
* **admission:** an ``AttestationService`` with a ``RecordAdmission`` checks every record
  against the records already in its chain, under the same lock, before it is appended
  (``trust.admission``); a refused record leaves the log unchanged.

Proofs load the leaf hashes of the tree they are about and do O(n) hashing (no quadratic work),
in read-only transactions. That is fine for a shop's log; a very large log would cache
complete-subtree hashes instead.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from trustcart.core.clock import Clock, format_instant
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.store.db import Database
from trustcart.store.trust import LogHeadRow, LogLeafRow, TreeHeadRow
from trustcart.store.upsert import insert_or_ignore
from trustcart.trust.errors import LogError, ProofRangeError
from trustcart.trust.frontier import MerkleFrontier
from trustcart.trust.merkle import consistency_proof, inclusion_proof, leaf_hash
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
        self._cache = threading.Lock()
        self._frontier = MerkleFrontier()  # of a committed prefix of the log
        self._latest: tuple[int, str] | None = None  # (size, signed head) last seen

    @property
    def public_key(self) -> PublicKey:
        return self._key.public

    # -- appending ------------------------------------------------------------------------------

    def _ensure_head(self) -> None:
        # Created once, outside the append transaction, with ON CONFLICT DO NOTHING so two
        # processes starting the same log cannot both insert it.
        if self._head_ready:
            return
        signed: tuple[MerkleFrontier, str] | None = None
        with self.db.transaction() as session:
            insert_or_ignore(
                session,
                LogHeadRow,
                {"log_id": self.log_id, "tree_size": 0},
                conflict_columns=["log_id"],
            )
            # A log (or one written before heads were signed on append) gets a head for its
            # current size once, here, so that reading the head never has to write.
            head = self._lock_head(session)
            newest = session.execute(self._newest_head_query()).first()
            if newest is None or newest.tree_size != head.tree_size:
                frontier = self._frontier_at(session, head.tree_size)
                signed = frontier, self._store_head(session, frontier)
        if signed is not None:
            self._publish(*signed)
        self._head_ready = True

    def _lock_head(self, session: Session) -> LogHeadRow:
        # The head row must exist already: creating it here would open a second transaction
        # inside this one, which on SQLite waits for the write lock this one holds.
        query = select(LogHeadRow).where(LogHeadRow.log_id == self.log_id).with_for_update()
        return session.execute(query).scalar_one()

    def _frontier_at(self, session: Session, size: int) -> MerkleFrontier:
        # The cached frontier is of a committed prefix; extend it with what was appended since
        # (by this process or another), or start again if the log is not what it remembers.
        with self._cache:
            frontier = self._frontier
        if frontier.size > size:
            frontier = MerkleFrontier()
        if frontier.size < size:
            query = (
                select(LogLeafRow.leaf_hash)
                .where(
                    LogLeafRow.log_id == self.log_id,
                    LogLeafRow.leaf_index >= frontier.size,
                    LogLeafRow.leaf_index < size,
                )
                .order_by(LogLeafRow.leaf_index)
            )
            frontier = frontier.extend(bytes(h) for h in session.execute(query).scalars())
            if frontier.size != size:
                raise LogError(f"log {self.log_id} has a gap below size {size}")
        return frontier

    def _store_head(self, session: Session, frontier: MerkleFrontier) -> str:
        head = TreeHead(
            self.log_id, frontier.size, frontier.root(), format_instant(self.clock.now())
        )
        token = sign_tree_head(head, self._key)
        session.add(
            TreeHeadRow(
                log_id=self.log_id,
                tree_size=head.tree_size,
                root_hash=head.root_hash,
                timestamp=head.timestamp,
                jws=token,
            )
        )
        return token

    def _publish(self, frontier: MerkleFrontier, token: str) -> None:
        # Called only after the transaction that wrote them committed.
        with self._cache:
            if frontier.size >= self._frontier.size:
                self._frontier = frontier
            if self._latest is None or frontier.size >= self._latest[0]:
                self._latest = (frontier.size, token)

    def _append_locked(
        self, session: Session, head: LogHeadRow, leaf: bytes
    ) -> tuple[int, MerkleFrontier, str]:
        if not isinstance(leaf, bytes):
            raise LogError("a leaf is bytes")
        index = head.tree_size
        hashed = leaf_hash(leaf)
        frontier = self._frontier_at(session, index).append(hashed)
        session.execute(
            insert(LogLeafRow).values(
                log_id=self.log_id,
                leaf_index=index,
                leaf_hash=hashed,
                leaf=leaf,
                appended_at=format_instant(self.clock.now()),
            )
        )
        head.tree_size = index + 1
        token = self._store_head(session, frontier)
        session.flush()
        return index, frontier, token

    def append(self, leaf: bytes) -> int:
        """Append one leaf in its own transaction and sign the new head; return its index."""
        self._ensure_head()
        with self.db.transaction() as session:
            index, frontier, token = self._append_locked(session, self._lock_head(session), leaf)
        self._publish(frontier, token)
        return index

    # -- reading --------------------------------------------------------------------------------

    def size(self) -> int:
        self._ensure_head()
        with self.db.read() as session:
            return self._size(session)

    def _size(self, session: Session) -> int:
        query = select(LogHeadRow.tree_size).where(LogHeadRow.log_id == self.log_id)
        return int(session.execute(query).scalar_one())

    def leaf(self, index: int) -> bytes:
        with self.db.read() as session:
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

    def _newest_head_query(self) -> Any:
        return (
            select(TreeHeadRow.tree_size, TreeHeadRow.jws)
            .where(TreeHeadRow.log_id == self.log_id)
            .order_by(TreeHeadRow.id.desc())
            .limit(1)
        )

    def tree_head(self) -> str:
        """The newest signed tree head, as a compact JWS. Read-only: no lock, nothing written,
        and while the log's size is unchanged, no query beyond reading that size."""
        self._ensure_head()
        with self.db.read() as session:
            size = self._size(session)
            with self._cache:
                latest = self._latest
            if latest is not None and latest[0] == size:
                return latest[1]
            newest = session.execute(self._newest_head_query()).one()
        with self._cache:
            if self._latest is None or newest.tree_size >= self._latest[0]:
                self._latest = (newest.tree_size, newest.jws)
        return str(newest.jws)

    def sign_tree_head(self) -> str:
        """Sign and store a fresh head for the current size now (a write, for the operator's
        schedule or a caller that wants a head stamped now); return its compact JWS."""
        self._ensure_head()
        with self.db.transaction() as session:
            head = self._lock_head(session)
            frontier = self._frontier_at(session, head.tree_size)
            token = self._store_head(session, frontier)
        self._publish(frontier, token)
        return token

    def signed_tree_heads(self) -> list[str]:
        """Every tree head this log has signed, oldest first."""
        with self.db.read() as session:
            query = (
                select(TreeHeadRow.jws)
                .where(TreeHeadRow.log_id == self.log_id)
                .order_by(TreeHeadRow.id)
            )
            return list(session.execute(query).scalars())

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``tree_size`` leaves."""
        self._ensure_head()
        with self.db.read() as session:
            current = self._size(session)
            if not 0 <= index < tree_size <= current:
                raise ProofRangeError(
                    f"need 0 <= index {index} < tree_size {tree_size} <= log size {current}"
                )
            return inclusion_proof(self._leaf_hashes(session, tree_size), index)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The proof that the tree of ``old_size`` leaves is a prefix of the ``new_size`` one."""
        self._ensure_head()
        with self.db.read() as session:
            current = self._size(session)
            if not 0 <= old_size <= new_size <= current:
                raise ProofRangeError(f"need 0 <= {old_size} <= {new_size} <= log size {current}")
            return consistency_proof(self._leaf_hashes(session, new_size), old_size)
