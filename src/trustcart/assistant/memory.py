"""What the assistant remembers for one person between runs: conversations and records.

The assistant is another party than the store, so it does not import ``trustcart.store``: it
asks a small ``Memory`` for what it needs, and the composition root (``trustcart.local``) hands
it one backed by the database (``local.memory.SqlMemory``). ``InMemoryMemory`` is the one for a
single run and for tests; it keeps the same rules as the SQL one:

* everything is a JSON object and goes through ``json.dumps``/``json.loads`` on the way in and
  out (explicit JSON, never pickle): what is saved is exactly what will be read back, and a
  value that is not JSON fails when it is saved, not when it is read;
* a conversation is one snapshot per session id, replaced as a whole at each save;
  ``last_conversation`` is the session saved most recently;
* a record (a ``delegation`` the person signed, a ``purchase`` the agent paid) is kept by kind
  and id; recording the same id again replaces the body (a delegation's spend changes) and keeps
  its place in the order of first recording;
* ``record_new`` keeps a record only if its id is not there yet, atomically, and says whether it
  did: the receiver of UCP order webhooks de-duplicates events by it (two deliveries of one
  event at once store it once).

>>> memory = InMemoryMemory()
>>> memory.save_conversation("cnv_1", {"state": "idle"})
>>> memory.load_conversation("cnv_1"), memory.last_conversation()
({'state': 'idle'}, 'cnv_1')
>>> memory.record("purchase", "ord_1", {"amount": "13.00"})
>>> memory.records("purchase")
[{'amount': '13.00'}]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol


class RecordKind(StrEnum):
    DELEGATION = "delegation"  # an IAC the person signed, with its payment token
    PURCHASE = "purchase"  # an order the agent paid, with everything its evidence needs
    UCP_BUSINESS = "ucp-business"  # a UCP business the person added (``assistant.ucp``)
    RUN_SHOWN = "run-shown"  # a standing-order run the person was told of (``recurring_chat``)
    UCP_ORDER_EVENT = "ucp-order-event"  # an order webhook a business sent (``ucp.order_events``)


def as_json_object(value: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``value`` read back from its JSON text; raise ``TypeError`` if it is not JSON."""
    text = json.dumps(dict(value), ensure_ascii=False, sort_keys=True, allow_nan=False)
    copied = json.loads(text)
    assert isinstance(copied, dict)
    return copied


class Memory(Protocol):
    """Storage for one person's conversations and records (see the module docstring)."""

    def save_conversation(self, session_id: str, snapshot: Mapping[str, Any]) -> None:
        """Replace the snapshot of ``session_id``."""

    def load_conversation(self, session_id: str) -> dict[str, Any] | None:
        """The snapshot saved for ``session_id``, or None."""

    def last_conversation(self) -> str | None:
        """The session id saved most recently, or None."""

    def record(self, kind: str, record_id: str, body: Mapping[str, Any]) -> None:
        """Keep (or replace) the record ``record_id`` of ``kind``."""

    def record_new(self, kind: str, record_id: str, body: Mapping[str, Any]) -> bool:
        """Keep ``body`` as ``record_id`` of ``kind`` unless that id is kept already (then
        change nothing); True when it was kept. Atomic: of two at once, one wins."""

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Every record of ``kind``, in the order they were first recorded."""


class InMemoryMemory:
    """``Memory`` in this process only (one run, tests)."""

    def __init__(self) -> None:
        self._conversations: dict[str, str] = {}
        self._saved: list[str] = []
        self._records: dict[tuple[str, str], str] = {}

    def save_conversation(self, session_id: str, snapshot: Mapping[str, Any]) -> None:
        self._conversations[session_id] = json.dumps(as_json_object(snapshot), ensure_ascii=False)
        if session_id in self._saved:
            self._saved.remove(session_id)
        self._saved.append(session_id)

    def load_conversation(self, session_id: str) -> dict[str, Any] | None:
        text = self._conversations.get(session_id)
        return None if text is None else dict(json.loads(text))

    def last_conversation(self) -> str | None:
        return self._saved[-1] if self._saved else None

    def record(self, kind: str, record_id: str, body: Mapping[str, Any]) -> None:
        self._records[(str(RecordKind(kind)), record_id)] = json.dumps(
            as_json_object(body), ensure_ascii=False
        )

    def record_new(self, kind: str, record_id: str, body: Mapping[str, Any]) -> bool:
        key = (str(RecordKind(kind)), record_id)
        if key in self._records:
            return False
        self._records[key] = json.dumps(as_json_object(body), ensure_ascii=False)
        return True

    def records(self, kind: str) -> list[dict[str, Any]]:
        wanted = str(RecordKind(kind))
        return [dict(json.loads(text)) for (k, _), text in self._records.items() if k == wanted]
