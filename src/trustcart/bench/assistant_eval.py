"""The assistant's evaluation: shopping requests and dialogues with outcomes as constraints.

Cases (JSON lines, ``assistant_eval_cases``: one turn or a dialogue of ``turns``) say what must
happen, never which product: an outcome (options, a question, nothing possible, a proposal, a
comparison, a reply) and constraints on every option shown or proposed, written from the case
text. Each case runs in a new ``Conversation`` on its catalog: the seeded demo market, or a
generated catalog that shares no word with the seed (``assistant_eval_catalog``), imported
into a fresh store as a new merchant's feed.

Four figures (targets: >= 95 %, 0, 0, 0):

* success: every turn had an expected outcome, nothing was wrong and nothing raised;
* violations: limits broken by an option shown or proposed (price, quantity, size, shop, ...);
* wrong-item proposals: options shown or proposed whose product is not what the text asked
  for (category, title words, or not the option "the second one" pointed at);
* tracebacks: cases where the assistant raised; caught per case, the run goes on.

Run: ``python -m trustcart.bench.assistant_eval --cases tests/assistant/eval_cases/cases.jsonl
--out docs/assistant-eval.md`` (the seed market in ``$TRUSTCART_HOME``, the generated one in a
temporary folder).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trustcart.assistant.conversation import Conversation
from trustcart.assistant.dialogue import Turn
from trustcart.assistant.planner import Option
from trustcart.assistant.tools import ShoppingTools
from trustcart.bench.assistant_eval_cases import (
    expected,
    load_cases,
    option_violations,
    turns_of,
    wrong_items,
)
from trustcart.bench.assistant_eval_report import Report

__all__ = [
    "CaseResult",
    "Report",
    "load_cases",
    "option_violations",
    "read_wands",
    "run_case",
    "run_eval",
    "wands_robustness",
]


@dataclass
class CaseResult:
    case_id: str
    kind: str
    ok: bool
    outcome: str
    violations: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    traceback: str = ""
    chinese: bool = False
    catalog: str = "seed"
    turns: int = 1


def option_json(option: Option) -> dict[str, Any]:
    """An option with every field a constraint reads (both titles, category, attributes)."""
    return {"items": [line.to_record() for line in option.lines], "total": option.total.to_json()}


def basket_json(basket: Mapping[str, Any]) -> dict[str, Any]:
    """A basket's carts as one option's lines (merchant and prices per line) and its total,
    so that the same limits are checked on it."""
    lines = [
        {**line, "merchant_id": cart["merchant_id"]}
        for cart in basket["carts"]
        for line in cart["items"]
    ]
    return {"items": lines, "total": basket["total"]}


def outcome_of(turn: Turn) -> str:
    if turn.basket is not None and turn.basket["carts"]:
        return "basket"
    if turn.awaiting is not None:
        return "proposal"
    if turn.comparison:
        return "comparison"
    if turn.options:
        return "options"
    return "question" if turn.questions else "impossible"


def _check_turn(
    result: CaseResult, number: int, spec: Mapping[str, Any], turn: Turn, shown: list[Any]
) -> list[dict[str, Any]]:
    """Check one turn against its spec; returns the options it showed (for later turns)."""
    where = f"turn {number}: " if number else ""
    outcome = outcome_of(turn)
    wanted = expected(spec)
    accepted = set(wanted) | ({"impossible"} if "reply" in wanted else set())
    if outcome not in accepted:
        result.failures.append(f"{where}expected {'/'.join(wanted)}, got {outcome}: {turn.message}")
    constraints = spec.get("constraints", {})
    options = [option_json(o) for o in turn.options]
    checked = options + ([option_json(turn.awaiting)] if turn.awaiting is not None else [])
    if turn.basket is not None and turn.basket["carts"]:
        checked.append(basket_json(turn.basket))
    for option in checked:
        result.violations += [where + v for v in option_violations(option, constraints, shown)]
        result.wrong += [where + w for w in wrong_items(option, constraints, shown)]
    codes = [q.code for q in turn.questions]
    if outcome == "question" and spec.get("question") and spec["question"] not in codes:
        result.failures.append(f"{where}expected a {spec['question']} question, got {codes}")
    if outcome == "impossible" and not turn.message:
        result.failures.append(f"{where}no explanation")
    rows = constraints.get("rows")
    if rows is not None and outcome == "comparison" and len(turn.comparison) != int(rows):
        result.violations.append(f"{where}{len(turn.comparison)} rows compared")
    delegated = constraints.get("delegated")
    if delegated is not None and turn.draft is not None and turn.draft.delegated != delegated:
        result.failures.append(f"{where}delegation not recognized as stated")
    return options


def run_case(markets: Mapping[str, ShoppingTools], case: Mapping[str, Any]) -> CaseResult:
    """Say every turn of the case in one new conversation; an exception is a traceback."""
    turns = turns_of(case)
    catalog = str(case.get("catalog", "seed"))
    result = CaseResult(str(case["id"]), str(case.get("kind", "")), True, "", catalog=catalog)
    result.turns = len(turns)
    result.chinese = any("\u4e00" <= ch <= "\u9fff" for ch in turns[0]["text"])
    shown: list[list[dict[str, Any]]] = []
    try:
        conversation = Conversation(markets[catalog])
        for number, spec in enumerate(turns, start=1):
            turn = conversation.say(spec["text"])
            result.outcome = outcome_of(turn)
            label = number if len(turns) > 1 else 0
            shown.append(_check_turn(result, label, spec, turn, shown))
    except Exception as e:  # any escape from the assistant is what is counted
        result.traceback = "".join(traceback.format_exception_only(e)).strip()
    result.ok = not (result.failures or result.violations or result.wrong or result.traceback)
    return result


def run_eval(
    markets: Mapping[str, ShoppingTools] | ShoppingTools, cases: Iterable[Mapping[str, Any]]
) -> Report:
    """Run every case; ``markets`` maps a catalog name to its tools (one: the seed's)."""
    by_catalog = {"seed": markets} if isinstance(markets, ShoppingTools) else markets
    started = time.monotonic()
    results = [run_case(by_catalog, case) for case in cases]
    return Report(results, seconds=time.monotonic() - started)


def wands_robustness(tools: ShoppingTools, queries: Sequence[str]) -> tuple[int, int, int]:
    """(queries, with an intent, with a question); parsing never raises by construction."""
    intents = questions = 0
    for query in queries:
        _intent_id, draft = tools.parse(query)
        if draft.questions:
            questions += 1
        elif draft.items:
            intents += 1
    return len(queries), intents, questions


def read_wands(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t")[1] for line in lines if line.count("\t") >= 2]


def main(argv: Sequence[str] | None = None) -> int:
    from trustcart.bench.assistant_eval_catalog import build_generated_store
    from trustcart.core.clock import SystemClock
    from trustcart.core.home import default_database_url, trustcart_home
    from trustcart.local.market import local_market

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", type=Path, default=Path("tests/assistant/eval_cases/cases.jsonl")
    )
    parser.add_argument("--wands", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--machine", default="", help="Said in the report, e.g. '2 cores'.")
    parser.add_argument("--date", default="", help="Said in the report (default: today).")
    args = parser.parse_args(argv)
    home = trustcart_home()
    cases = load_cases(args.cases)
    with tempfile.TemporaryDirectory(prefix="trustcart-eval-") as folder:
        generated_home = Path(folder)
        url = build_generated_store(generated_home, SystemClock().now())
        with (
            local_market(home, default_database_url(home)) as (tools, _deployment),
            local_market(generated_home, url) as (generated, _generated_deployment),
        ):
            report = run_eval({"seed": tools, "generated": generated}, cases)
            robustness = wands_robustness(tools, read_wands(args.wands)) if args.wands else None
    report.machine = args.machine
    report.date = args.date or SystemClock().now().date().isoformat()
    text = report.markdown(robustness)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(report.summary())  # noqa: T201
    return 0 if report.meets_targets else 1


if __name__ == "__main__":
    raise SystemExit(main())
