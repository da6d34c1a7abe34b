"""The person's ``Memory`` (``assistant.memory``) in the database: ``SqlMemory``.

The assistant does not import the store; this composition-root module does, and hands the
assistant a ``SqlMemory`` for one person (``owner``, their identity in credentials). Bodies are
JSON text written with ``json.dumps`` and read with ``json.loads`` (never pickle), in the tables
of ``store.assistant``. Each call is one transaction, so a snapshot or record is written whole
or not at all; on SQLite ``BEGIN IMMEDIATE`` serializes writers, so the order of saves
(``saved``) is exact; on PostgreSQL two simultaneous saves may share a number and the session
id breaks the tie.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from trustcart.assistant.memory import RecordKind, as_json_object
from trustcart.core.clock import Clock, SystemClock, format_instant
from trustcart.store.assistant import ConversationRow, ShopperRecordRow
from trustcart.store.db import Database


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(as_json_object(value), ensure_ascii=False, sort_keys=True)


def _loads(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("a stored body is not a JSON object")
    return value


class SqlMemory:
    """``Memory`` for one person in a trustcart database (SQLite or PostgreSQL)."""

    def __init__(self, db: Database, owner: str, clock: Clock | None = None) -> None:
        self._db = db
        self.owner = owner
        self._clock = clock or SystemClock()

    def save_conversation(self, session_id: str, snapshot: Mapping[str, Any]) -> None:
        body, now = _dumps(snapshot), format_instant(self._clock.now())
        with self._db.transaction() as session:
            newest = session.scalar(
                select(func.max(ConversationRow.saved)).where(ConversationRow.owner == self.owner)
            )
            saved = (newest or 0) + 1
            row = session.get(ConversationRow, session_id)
            if row is None:
                session.add(
                    ConversationRow(
                        session_id=session_id,
                        owner=self.owner,
                        saved=saved,
                        updated_at=now,
                        snapshot=body,
                    )
                )
            elif row.owner != self.owner:
                raise PermissionError(f"conversation {session_id} is another person's")
            else:
                row.saved, row.updated_at, row.snapshot = saved, now, body

    def load_conversation(self, session_id: str) -> dict[str, Any] | None:
        with self._db.transaction() as session:
            row = session.get(ConversationRow, session_id)
            if row is None or row.owner != self.owner:
                return None
            return _loads(row.snapshot)

    def last_conversation(self) -> str | None:
        with self._db.transaction() as session:
            return session.scalar(
                select(ConversationRow.session_id)
                .where(ConversationRow.owner == self.owner)
                .order_by(ConversationRow.saved.desc(), ConversationRow.session_id.desc())
                .limit(1)
            )

    def record(self, kind: str, record_id: str, body: Mapping[str, Any]) -> None:
        kind, text, now = str(RecordKind(kind)), _dumps(body), format_instant(self._clock.now())
        with self._db.transaction() as session:
            row = session.scalar(
                select(ShopperRecordRow).where(
                    ShopperRecordRow.owner == self.owner,
                    ShopperRecordRow.kind == kind,
                    ShopperRecordRow.record_id == record_id,
                )
            )
            if row is None:
                session.add(
                    ShopperRecordRow(
                        owner=self.owner,
                        kind=kind,
                        record_id=record_id,
                        recorded_at=now,
                        updated_at=now,
                        body=text,
                    )
                )
            else:
                row.updated_at, row.body = now, text

    def record_new(self, kind: str, record_id: str, body: Mapping[str, Any]) -> bool:
        kind, text, now = str(RecordKind(kind)), _dumps(body), format_instant(self._clock.now())
        row = ShopperRecordRow(
            owner=self.owner, kind=kind, record_id=record_id, recorded_at=now, updated_at=now,
            body=text,
        )  # fmt: skip
        try:
            with self._db.transaction() as session:
                session.add(row)
                session.flush()  # the unique (owner, kind, record_id) decides, on both engines
        except IntegrityError:
            return False
        return True

    def records(self, kind: str) -> list[dict[str, Any]]:
        with self._db.transaction() as session:
            bodies = session.scalars(
                select(ShopperRecordRow.body)
                .where(
                    ShopperRecordRow.owner == self.owner,
                    ShopperRecordRow.kind == str(RecordKind(kind)),
                )
                .order_by(ShopperRecordRow.id)
            ).all()
        return [_loads(body) for body in bodies]
