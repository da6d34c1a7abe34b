"""Tables of the crypto layer: RFC 9421 signature nonces already seen (the replay cache).

The primary key ``(keyid, nonce)`` is the whole replay check: inserting a row either succeeds
(first use) or violates the key (replay), atomically on SQLite and PostgreSQL alike, across
processes. Rows are kept until ``expires_at`` (the signature's own expiry plus clock skew),
after which the signature could not verify anyway and the row is pruned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from trustcart.store.base import Base


class SignatureNonceRow(Base):
    __tablename__ = "signature_nonces"

    keyid: Mapped[str] = mapped_column(String(128), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(512), primary_key=True)
    # Always written in UTC: SQLite stores DateTime without its offset.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
