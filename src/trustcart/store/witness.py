"""Tables of the witness (``trust.witness``) and of the log's own copy of its anchors.

    trust_witness_anchors  the witness's store: every anchor it holds by ``anchor_id`` (never
                           overwritten), its height (unique, consecutive from 0), the anchor
                           JWS, the receipt the witness signed and the anchor's chain hash
    trust_log_anchors      the log's side (``trust.anchoring``): every anchor the log submitted
                           with the receipt it got, so the log chains each new anchor to its
                           own last one, never to what a witness says is last

The two tables belong to two services: the witness reads and writes only the first, the log
only the second (a witness may run on a database of its own: ``Witness`` takes its own
``Database``). Instants are RFC 3339 strings (``format_instant``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base


class WitnessAnchorRow(Base):
    __tablename__ = "trust_witness_anchors"

    anchor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    submitter: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    height: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    chain_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    anchor_jws: Mapped[str] = mapped_column(Text, nullable=False)
    receipt_jws: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[str] = mapped_column(String(32), nullable=False)


class LogAnchorRow(Base):
    __tablename__ = "trust_log_anchors"

    anchor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    log_id: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    anchor_jws: Mapped[str] = mapped_column(Text, nullable=False)
    receipt_jws: Mapped[str] = mapped_column(Text, nullable=False)
    anchored_at: Mapped[str] = mapped_column(String(32), nullable=False)
