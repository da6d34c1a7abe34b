"""ACP request bodies the parsers must refuse cleanly (400, nothing stored), found by fuzzing."""

from __future__ import annotations

import pytest

from trustcart.conformance.acp_world import build_world
from trustcart.core.clock import FixedClock
from trustcart.core.errors import ValidationError
from trustcart.crypto.acp_request import parse_json_body
from trustcart.store.db import Database


@pytest.mark.parametrize(
    "raw",
    [b'{"n": 9007199254740992}', b'{"a": [-257383856591847368285751345152]}', b'{"a": NaN}'],
)
def test_numbers_beyond_i_json_are_refused(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_json_body(raw)


def test_a_huge_integer_is_a_400_not_a_crash(sqlite_db: Database, clock: FixedClock) -> None:
    world = build_world(sqlite_db, clock, "http://acp.invalid/acp", "http://psp.invalid")
    headers = {
        "Authorization": f"Bearer {world.api_key}",
        "API-Version": "2026-04-17",
        "Idempotency-Key": "k",
    }
    huge = 16799088627075633757756063744
    body = b'{"currency": "usd", "line_items": [{"id": "item_123", "quantity": %d}]}' % huge
    status, _headers, answer = world.send_in_process("POST", "/checkout_sessions", headers, body)
    assert (status, answer["code"]) == (400, "invalid_json")
