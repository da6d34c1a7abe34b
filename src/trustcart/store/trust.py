"""Tables of the transparency log and the attestation index (``trustcart.trust.log``).

    trust_log_heads    one row per log: its current size. Appends lock this row FOR UPDATE,
                       which is what hands out consecutive leaf indexes on PostgreSQL
                       (SQLite's BEGIN IMMEDIATE already serializes writers).
    trust_log_leaves   the leaves, append-only: (log_id, leaf_index) -> leaf bytes + leaf hash
    trust_tree_heads   every signed tree head the log has issued
    trust_attestations attestation records by record id (unique: anchors are never
                       overwritten), with their chain ids for lookups

Instants are RFC 3339 strings (``format_instant``), identical on both dialects.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base


class LogHeadRow(Base):
    __tablename__ = "trust_log_heads"

    log_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class LogLeafRow(Base):
    __tablename__ = "trust_log_leaves"

    log_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    leaf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    appended_at: Mapped[str] = mapped_column(String(32), nullable=False)


class TreeHeadRow(Base):
    __tablename__ = "trust_tree_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    log_id: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    timestamp: Mapped[str] = mapped_column(String(32), nullable=False)
    jws: Mapped[str] = mapped_column(Text, nullable=False)


class AttestationRow(Base):
    __tablename__ = "trust_attestations"
    __table_args__ = (UniqueConstraint("log_id", "leaf_index"),)

    record_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    log_id: Mapped[str] = mapped_column(String(128), nullable=False)
    leaf_index: Mapped[int] = mapped_column(BigInteger, nullable=False)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    intent_id: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    delegation_id: Mapped[str | None] = mapped_column(String(128), index=True)
    out_trade_no: Mapped[str | None] = mapped_column(String(128), index=True)
    trade_no: Mapped[str | None] = mapped_column(String(128))
    event_time: Mapped[str] = mapped_column(String(32), nullable=False)
    record_jws: Mapped[str] = mapped_column(Text, nullable=False)
