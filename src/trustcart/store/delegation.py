"""Tables of the delegation domain: registered credentials and their lifecycle history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base


class DelegationRow(Base):
    __tablename__ = "delegations"

    delegation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    intent_id: Mapped[str] = mapped_column(String(64), index=True)
    delegator_identity: Mapped[str] = mapped_column(String(200))
    delegator_jwk: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    validity_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DelegationTransitionRow(Base):
    __tablename__ = "delegation_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delegation_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("delegations.delegation_id"), index=True
    )
    transition: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
