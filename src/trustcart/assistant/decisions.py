"""The agent's decisions beyond the purchase, as act:commerce:decision-logged bodies. Pure.

ACT's event set is fixed (§5), and ``decision-logged`` is the agent's record of a local choice.
Besides the purchase decision (``BuyerAgent.log_decision``) the agent records two more, so
that the merchant's ROI funnel is read from the log rather than from a counter that can drift
(``insights.roi``):

* ``options-presented``: for an intent the person confirmed, how many options were shown,
  from how many candidates, which merchants they came from, and the assistant's compute spent
  finding them (``assistant_ms``; ``llm_tokens`` only where a model back end reports usage).
  It is recorded right after ``intent-created``: the log admits a decision only for an intent
  it knows, and ACT records an intent when the person confirms it, so intents abandoned
  before confirmation never reach the log (the ROI page says so).
* ``refused``: a purchase the agent stopped, or a service refused, with the stable codes.

Bodies carry counts, ids and codes only: no names, contacts or accounts (``check_event_body``).

>>> options_presented_body(options=2, candidates=9, merchants=["m_b", "m_a", "m_b"],
...                        assistant_ms=41.26)["merchants"]
['m_a', 'm_b']
>>> refused_body("outside-authorization", ("over-total-budget",), ["m_a"])["reasons"]
['over-total-budget']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from trustcart.assistant.errors import ToolRefused
from trustcart.trust.errors import TrustError
from trustcart.trust.events import Chain

if TYPE_CHECKING:
    from trustcart.assistant.offers import Offer
    from trustcart.assistant.planner import Plan
    from trustcart.assistant.proposals import Delegation, Proposal


class DecisionRecorder(Protocol):
    """Who records a decision: the buyer agent (``BuyerAgent.record_decision``)."""

    def record_decision(self, chain: Chain, body: Mapping[str, Any]) -> None: ...


class DecisionStage(StrEnum):
    """The ``stage`` field of the agent's decision-logged bodies."""

    OPTIONS_PRESENTED = "options-presented"
    PURCHASE = "purchase"  # BuyerAgent.log_decision (its body has no stage field)
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class PresentedOptions:
    """What one planning round showed the person, and what it cost to find."""

    options: int
    candidates: int
    merchants: tuple[str, ...]
    assistant_ms: float
    llm_tokens: int | None = None

    @classmethod
    def of(cls, plan: Plan, offers: Sequence[Sequence[Offer]], seconds: float) -> PresentedOptions:
        """What ``plan`` showed, found among ``offers`` (one list per item) in ``seconds``."""
        return cls(
            options=len(plan.options),
            candidates=sum(len(found) for found in offers),
            merchants=tuple(m for option in plan.options for m in option.merchants),
            assistant_ms=seconds * 1000,
        )


def options_presented_body(
    *,
    options: int,
    candidates: int,
    merchants: Iterable[str],
    assistant_ms: float,
    llm_tokens: int | None = None,
) -> dict[str, Any]:
    """The body of an options-presented decision (merchants sorted, time to 0.1 ms)."""
    if min(options, candidates) < 0 or assistant_ms < 0:
        raise ValueError("counts and times are never negative")
    body: dict[str, Any] = {
        "stage": str(DecisionStage.OPTIONS_PRESENTED),
        "options": options,
        "candidates": candidates,
        "merchants": sorted(set(merchants)),
        "assistant_ms": str(round(assistant_ms, 1)),
    }
    if llm_tokens is not None:
        body["llm_tokens"] = llm_tokens
    return body


def refused_body(code: str, reasons: Sequence[str], merchants: Iterable[str]) -> dict[str, Any]:
    """The body of a refused purchase: the refusal's code and its detailed reason codes."""
    return {
        "stage": str(DecisionStage.REFUSED),
        "code": code,
        "reasons": list(reasons) or [code],
        "merchants": sorted(set(merchants)),
    }


def log_presented(agent: DecisionRecorder, intent_id: str, shown: PresentedOptions | None) -> None:
    """Record what was shown for a confirmed intent (nothing when it was never planned)."""
    if shown is None:
        return
    agent.record_decision(
        Chain(intent_id=intent_id),
        options_presented_body(
            options=shown.options,
            candidates=shown.candidates,
            merchants=shown.merchants,
            assistant_ms=shown.assistant_ms,
            llm_tokens=shown.llm_tokens,
        ),
    )


def log_refusal(
    agent: DecisionRecorder,
    refusal: ToolRefused,
    proposal: Proposal | None,
    delegation: Delegation | None,
) -> None:
    """Record a refused purchase under its credential (nothing without one: no known intent).

    Called while the refusal is being raised: if the log cannot take the record, the refusal
    still reaches the caller unchanged, with a note saying it was not logged.
    """
    if proposal is None or delegation is None:
        return
    try:
        agent.record_decision(
            Chain(delegation.iac.intent_id, delegation.iac.delegation_id),
            refused_body(
                refusal.code, refusal.reasons, (line.merchant_id for line in proposal.lines)
            ),
        )
    except (TrustError, httpx.HTTPError) as e:
        refusal.add_note(f"the refusal was not logged: {e}")
