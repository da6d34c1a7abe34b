"""The person's Memory: the in-process one and the SQL one keep the same contract, on SQLite
and PostgreSQL; snapshots and records read back exactly; one person never sees another's."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.clock import T0
from tests.helpers.offers import offer, option
from trustcart.assistant.dialogue import ConversationState, DialogueState, StandingRequest
from trustcart.assistant.memory import InMemoryMemory, Memory, RecordKind
from trustcart.assistant.refinements import Change
from trustcart.core.clock import FixedClock
from trustcart.local.memory import SqlMemory
from trustcart.store.db import Database


@pytest.fixture(params=["in-memory", "sql"])
def memory(request: pytest.FixtureRequest, db: Database) -> Iterator[Memory]:
    if request.param == "in-memory":
        yield InMemoryMemory()
    else:
        yield SqlMemory(db, "user:alice", FixedClock(T0))


def test_a_conversation_snapshot_round_trips(memory: Memory) -> None:
    state = DialogueState(
        state=ConversationState.CHOOSING,
        language="zh",
        request=StandingRequest(
            "一杯30元以内的珍珠奶茶",
            (Change("大杯", attributes=(("size", "large"),), category="drinks/milk-tea"),),
        ),
        options=[option(offer("p1", "m_leaf", "22.00", "16.00", coupons=("满15减6",)))],
    )
    assert memory.load_conversation("cnv_1") is None
    memory.save_conversation("cnv_1", state.to_json())
    loaded = memory.load_conversation("cnv_1")
    assert loaded is not None
    assert DialogueState.from_json(loaded) == state


def test_the_last_conversation_is_the_one_saved_last(memory: Memory) -> None:
    assert memory.last_conversation() is None
    memory.save_conversation("cnv_a", {"n": 1})
    memory.save_conversation("cnv_b", {"n": 2})
    assert memory.last_conversation() == "cnv_b"
    memory.save_conversation("cnv_a", {"n": 3})  # replaced as a whole, and now the newest
    assert memory.last_conversation() == "cnv_a"
    assert memory.load_conversation("cnv_a") == {"n": 3}


def test_records_keep_their_first_order_and_replace_their_body(memory: Memory) -> None:
    memory.record(RecordKind.DELEGATION, "dlg_1", {"spent": "0.00"})
    memory.record(RecordKind.DELEGATION, "dlg_2", {"spent": "0.00"})
    memory.record(RecordKind.PURCHASE, "ord_1", {"amount": "13.00"})
    memory.record(RecordKind.DELEGATION, "dlg_1", {"spent": "13.00"})
    assert memory.records(RecordKind.DELEGATION) == [{"spent": "13.00"}, {"spent": "0.00"}]
    assert memory.records(RecordKind.PURCHASE) == [{"amount": "13.00"}]
    with pytest.raises(ValueError, match="diary"):
        memory.record("diary", "x", {})


def test_what_is_not_json_is_refused_when_saved(memory: Memory) -> None:
    with pytest.raises((TypeError, ValueError)):
        memory.save_conversation("cnv_x", {"when": object()})
    with pytest.raises((TypeError, ValueError)):
        memory.record(RecordKind.PURCHASE, "ord_x", {"amount": float("nan")})
    assert memory.load_conversation("cnv_x") is None
    assert memory.records(RecordKind.PURCHASE) == []


def test_one_person_never_sees_another_persons_memory(db: Database) -> None:
    alice = SqlMemory(db, "user:alice", FixedClock(T0))
    bob = SqlMemory(db, "user:bob", FixedClock(T0))
    alice.save_conversation("cnv_alice", {"state": "idle"})
    alice.record(RecordKind.PURCHASE, "ord_1", {"amount": "13.00"})
    assert bob.load_conversation("cnv_alice") is None
    assert bob.last_conversation() is None
    assert bob.records(RecordKind.PURCHASE) == []
    with pytest.raises(PermissionError):
        bob.save_conversation("cnv_alice", {"state": "choosing"})
    assert alice.load_conversation("cnv_alice") == {"state": "idle"}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.text(max_size=8), JSON, max_size=5))
def test_any_json_object_reads_back_exactly(memory: Memory, body: dict[str, Any]) -> None:
    memory.save_conversation("cnv_any", body)
    assert memory.load_conversation("cnv_any") == json.loads(json.dumps(body))
