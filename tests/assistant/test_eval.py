"""The evaluation suite: its counts, a deterministic sample of every kind, and checks that fail.

The full run (``python -m trustcart.bench.assistant_eval``, about 30 s for 459 cases on two
cores) writes docs/assistant-eval.md; here a sample of about 80 cases spread over every kind
runs on the seed market and on the generated catalog, and must meet the targets (success
>= 95 %, no violation, no wrong item, no traceback). The checks themselves are shown to fail:
a wrong expectation written on a real turn is caught, and an exception is a traceback.
"""

import dataclasses
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from trustcart.assistant.tools import ShoppingTools
from trustcart.bench.assistant_eval import (
    load_cases,
    option_violations,
    read_wands,
    run_case,
    run_eval,
    wands_robustness,
)
from trustcart.bench.assistant_eval_cases import counts, validate_case, wrong_items
from trustcart.bench.assistant_eval_catalog import (
    GENERATED_SEED,
    build_generated_store,
    generated_products,
    shared_vocabulary,
)
from trustcart.core.errors import ValidationError
from trustcart.local.market import local_market
from trustcart.local.seed import DEMO_SEED, generate_catalog

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "assistant" / "eval_cases" / "cases.jsonl"
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.exists()),
    ROOT.parent / "shared",
)
WANDS = SHARED / "data" / "wands" / "query.csv"
SAMPLE = 80


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShoppingTools]:
    home = tmp_path_factory.mktemp("generated")
    url = build_generated_store(home, datetime(2026, 12, 2, tzinfo=UTC))
    with local_market(home, url) as (tools, _deployment):
        yield tools


def sample(cases: list[dict[str, Any]], size: int = SAMPLE) -> list[dict[str, Any]]:
    """About ``size`` cases, evenly spaced within every kind (at least one of each)."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in cases:
        by_kind[case["kind"]].append(case)
    picked = []
    for group in by_kind.values():
        share = max(1, round(len(group) * size / len(cases)))
        step = len(group) / share
        picked += [group[int(i * step)] for i in range(share)]
    return picked


def test_the_case_file_meets_its_counts() -> None:
    cases = load_cases(CASES)
    figures = counts(cases)
    assert figures["cases"] >= 400
    assert figures["multi_turn"] >= 100
    assert figures["chinese"] >= 0.35 * figures["cases"]
    assert figures["generated"] >= 100
    assert len({c["id"] for c in cases}) == len(cases)
    kinds = {c["kind"] for c in cases}
    assert {"single-en", "single-zh", "multi", "delegated", "ambiguous", "impossible"} <= kinds
    assert any(k.startswith("generated-dialogue") for k in kinds)


def test_the_generated_catalog_shares_no_word_with_the_seed() -> None:
    seed = generate_catalog(random.Random(DEMO_SEED), product_count=10_000).products
    products = generated_products(random.Random(GENERATED_SEED))
    assert shared_vocabulary(products, seed) == set()
    # the check can fail: a seed word in a generated title is found
    tea = dataclasses.replace(products[0], title="Ironwood Milk Tea Hammer")
    assert shared_vocabulary([tea], seed) >= {"milk", "tea"}


def test_a_sample_of_every_kind_meets_the_targets(
    tools: ShoppingTools, generated: ShoppingTools
) -> None:
    cases = sample(load_cases(CASES))
    assert 70 <= len(cases) <= 100
    assert {c.get("catalog", "seed") for c in cases} == {"seed", "generated"}
    report = run_eval({"seed": tools, "generated": generated}, cases)
    failing = [(r.case_id, r.failures, r.violations, r.wrong, r.traceback) for r in report.results]
    assert report.tracebacks == 0, [f for f in failing if f[4]]
    assert report.violations == 0, [f for f in failing if f[2]]
    assert report.wrong_items == 0, [f for f in failing if f[3]]
    assert report.success_rate >= 0.95, [f for f in failing if f[1]]


@pytest.mark.skipif(not WANDS.exists(), reason="the shared WANDS queries are not here")
def test_every_wands_query_is_an_intent_or_a_question(tools: ShoppingTools) -> None:
    total, intents, questions = wands_robustness(tools, read_wands(WANDS))
    assert total == 480
    assert intents + questions == total


def test_wrong_expectations_on_real_turns_are_caught(tools: ShoppingTools) -> None:
    tea = {"category": "drinks/milk-tea", "title_any": ["pearl milk tea", "珍珠奶茶"]}
    first = {"text": "a pearl milk tea under 40", "expect": "options", "constraints": tea}
    cases: list[dict[str, Any]] = [
        {"id": "hammer", "kind": "k", **first, "constraints": {"title_any": ["hammer"]}},
        {"id": "cap", "kind": "k", **first, "constraints": {"max_unit_price": "1"}},
        {
            "id": "second",
            "kind": "k",
            "turns": [
                first,
                {
                    "text": "the second one",
                    "expect": "proposal",
                    "constraints": {"same_as": {"turn": 1, "option": 1}},
                },
            ],
        },
        {"id": "outcome", "kind": "k", **first, "expect": "question"},
    ]
    results = {c["id"]: run_case({"seed": tools}, c) for c in cases}
    assert results["hammer"].wrong
    assert not results["hammer"].ok
    assert results["cap"].violations
    assert not results["cap"].ok
    assert results["second"].wrong
    assert not results["second"].ok
    assert results["outcome"].failures
    assert not results["outcome"].ok


def test_an_exception_is_a_traceback_and_the_run_goes_on(tools: ShoppingTools) -> None:
    class Broken(ShoppingTools):
        def __init__(self) -> None:  # no market at all: every call raises
            pass

    cases = [
        {"id": "a", "kind": "k", "text": "a pearl milk tea", "expect": "options"},
        {"id": "b", "kind": "k", "text": "a pearl milk tea", "expect": "options"},
    ]
    report = run_eval({"seed": Broken()}, cases)
    assert report.tracebacks == 2
    assert report.success_rate == 0
    assert "traceback" in report.markdown()


def test_malformed_cases_are_refused() -> None:
    for case in (
        {"id": "x", "text": "tea", "expect": "maybe"},
        {"id": "x", "text": "tea", "expect": "options", "constraints": {"colour": "red"}},
        {"id": "x", "text": "tea", "expect": "options", "catalog": "mars"},
        {"id": "", "text": "tea", "expect": "options"},
    ):
        with pytest.raises(ValidationError):
            validate_case(case)


def test_the_violation_and_wrong_item_checks_can_fail() -> None:
    line = {
        "product_id": "p_1",
        "title": "Tea",
        "title_zh": "茶",
        "merchant_id": "m_a",
        "quantity": 2,
        "unit_price": {"amount": "31.00", "currency": "CNY"},
        "category": "drinks/milk-tea",
        "attributes": {"size": "large"},
        "delivery_minutes": 40,
    }
    option = {"items": [line], "total": {"amount": "62.00", "currency": "CNY"}}
    before = [[{"items": [{**line, "product_id": "p_2"}], "total": {"amount": "50.00"}}]]
    broken = option_violations(
        option,
        {
            "max_unit_price": "30",
            "max_total": "60",
            "quantity": 1,
            "attributes": {"size": "medium"},
            "merchant": "m_b",
            "max_delivery_minutes": 30,
            "cheaper_than": {"turn": 1, "option": 1},
            "not_merchant_of": {"turn": 1, "option": 1},
            "faster_than": {"turn": 1, "option": 1},
        },
        before,
    )
    assert len(broken) == 9
    wrong = wrong_items(
        option,
        {"category": "apparel", "title_any": ["hammer"], "same_as": {"turn": 1, "option": 1}},
        before,
    )
    assert len(wrong) == 3
    assert wrong_items(option, {"title_any": ["茶"], "category": "drinks"}, before) == []
