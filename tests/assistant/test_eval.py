"""The evaluation suite (150+ requests, EN and 中文) and the WANDS robustness set.

Writes docs/assistant-eval.md (deterministic text) and fails below the targets:
success >= 90 %, zero constraint violations, every WANDS query an intent or a question.
"""

from pathlib import Path

from trustcart.assistant.tools import ShoppingTools
from trustcart.bench.assistant_eval import (
    load_cases,
    option_violations,
    read_wands,
    run_eval,
    wands_robustness,
)

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "assistant" / "eval_cases" / "cases.jsonl"
WANDS = ROOT.parent / "shared" / "data" / "wands" / "query.csv"


def test_suite_meets_its_targets_and_writes_the_report(tools: ShoppingTools) -> None:
    cases = load_cases(CASES)
    assert len(cases) >= 150
    assert {c["kind"] for c in cases} >= {
        "single-en",
        "single-zh",
        "multi",
        "delegated",
        "ambiguous",
        "impossible",
    }
    report = run_eval(tools, cases)
    robustness = wands_robustness(tools, read_wands(WANDS))
    (ROOT / "docs" / "assistant-eval.md").write_text(report.markdown(robustness), encoding="utf-8")
    assert report.violations == 0, [r.violations for r in report.results if r.violations]
    assert report.success_rate >= 0.9
    total, intents, questions = robustness
    assert total == 480
    assert intents + questions == total


def test_the_violation_check_can_fail() -> None:
    option = {
        "items": [
            {
                "title": "Tea",
                "merchant_id": "m_a",
                "quantity": 2,
                "unit_price": {"amount": "31.00", "currency": "CNY"},
                "category": "drinks/milk-tea",
                "attributes": {"size": "large"},
                "delivery_minutes": 40,
            }
        ],
        "total": {"amount": "62.00", "currency": "CNY"},
        "reason": "",
    }
    broken = option_violations(
        option,
        {
            "max_unit_price": "30",
            "max_total": "60",
            "quantity": 1,
            "category": "apparel",
            "attributes": {"size": "medium"},
            "merchant": "m_b",
            "max_delivery_minutes": 30,
        },
    )
    assert len(broken) == 7
