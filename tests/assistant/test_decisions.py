"""The agent's extra decisions: their bodies, and a refusal that reaches the caller even when the
log cannot take its record."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import pytest

from trustcart.assistant.decisions import (
    PresentedOptions,
    log_presented,
    log_refusal,
    options_presented_body,
)
from trustcart.assistant.errors import ToolRefused
from trustcart.trust.errors import TrustError
from trustcart.trust.events import Chain, check_event_body


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.records: list[tuple[Chain, dict[str, Any]]] = []

    def record_decision(self, chain: Chain, body: Mapping[str, Any]) -> None:
        if self.fail:
            raise TrustError("the log refused the record: 403")
        self.records.append((chain, dict(body)))


PROPOSAL = SimpleNamespace(
    lines=[SimpleNamespace(merchant_id="m_b"), SimpleNamespace(merchant_id="m_a")]
)
DELEGATION = SimpleNamespace(iac=SimpleNamespace(intent_id="int_1", delegation_id="dlg_1"))


def test_options_presented_is_logged_once_the_intent_is_known() -> None:
    recorder = Recorder()
    shown = PresentedOptions(options=2, candidates=7, merchants=("m_b", "m_a"), assistant_ms=12.345)
    log_presented(recorder, "int_1", shown)
    log_presented(recorder, "int_2", None)  # never planned: nothing to say
    [(chain, body)] = recorder.records
    assert chain == Chain("int_1")
    assert body == {
        "stage": "options-presented",
        "options": 2,
        "candidates": 7,
        "merchants": ["m_a", "m_b"],
        "assistant_ms": "12.3",
    }
    check_event_body(body)  # no personal data: the log would take it


def test_a_refusal_is_logged_under_its_credential() -> None:
    recorder = Recorder()
    refusal = ToolRefused("outside-authorization", "no", reasons=("over-total-budget",))
    log_refusal(recorder, refusal, PROPOSAL, DELEGATION)  # type: ignore[arg-type]
    [(chain, body)] = recorder.records
    assert chain == Chain("int_1", "dlg_1")
    assert body["reasons"] == ["over-total-budget"]
    assert body["merchants"] == ["m_a", "m_b"]
    log_refusal(recorder, refusal, PROPOSAL, None)  # type: ignore[arg-type]
    assert len(recorder.records) == 1  # no credential: no known intent, nothing logged


def test_a_refusal_survives_a_log_that_cannot_take_it() -> None:
    refusal = ToolRefused("already-paid", "this proposal is paid")
    log_refusal(Recorder(fail=True), refusal, PROPOSAL, DELEGATION)  # type: ignore[arg-type]
    assert refusal.code == "already-paid"
    assert any("not logged" in note for note in refusal.__notes__)


def test_counts_and_times_are_never_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        options_presented_body(options=-1, candidates=0, merchants=[], assistant_ms=1.0)
    with pytest.raises(ValueError, match="negative"):
        options_presented_body(options=1, candidates=0, merchants=[], assistant_ms=-1.0)
