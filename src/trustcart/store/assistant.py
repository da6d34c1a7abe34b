"""Tables of the person's side: their conversations with the assistant and their records.

    assistant_conversations  one snapshot per conversation (JSON text), replaced at each turn;
                             ``saved`` orders the saves of one owner (the newest is resumed)
    assistant_records        the person's delegations and purchases (JSON text) by kind and id;
                             ``id`` keeps the order in which they were first recorded

The JSON is written and read by ``trustcart.local.memory.SqlMemory`` (explicit ``json``, never
pickle); what it means is the assistant's business (``assistant.memory``, ``assistant.records``).
Instants are RFC 3339 strings (``format_instant``), identical on both dialects.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base


class ConversationRow(Base):
    __tablename__ = "assistant_conversations"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    saved: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[str] = mapped_column(String(32), nullable=False)
    snapshot: Mapped[str] = mapped_column(Text, nullable=False)


class ShopperRecordRow(Base):
    __tablename__ = "assistant_records"
    __table_args__ = (UniqueConstraint("owner", "kind", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    record_id: Mapped[str] = mapped_column(String(128), nullable=False)
    recorded_at: Mapped[str] = mapped_column(String(32), nullable=False)
    updated_at: Mapped[str] = mapped_column(String(32), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
