"""The assistant evaluation's report: figures, per-kind table and failures (markdown, pure).

The four figures and their targets (success >= 95 %, violations 0, wrong-item proposals 0,
tracebacks 0) come first, then one row per kind and per language, then every case that did not
succeed, grouped by kind, with what went wrong. Nothing here decides an outcome: it counts
the ``CaseResult``s the runner produced.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trustcart.bench.assistant_eval import CaseResult

SUCCESS_TARGET = 0.95
COMMAND = (
    "    PYTHONPATH=src python -m trustcart.bench.assistant_eval \\\n"
    "        --cases tests/assistant/eval_cases/cases.jsonl \\\n"
    "        --wands ../shared/data/wands/query.csv --machine '2 cores' \\\n"
    "        --out docs/assistant-eval.md\n"
)

METHOD = """## What is checked

- **Cases** (`tests/assistant/eval_cases/cases.jsonl`, written by `make_cases.py` and
  `more_cases.py`; schema in `trustcart.bench.assistant_eval_cases`): a request or a dialogue
  of `turns`, each turn with an expected outcome (options, question, impossible, proposal,
  comparison, reply) and constraints written from its text. A refinement's constraints
  accumulate as the text says: after "a pearl milk tea under 40" + "make it large", every
  option must be large *and* within 40 *and* a pearl milk tea.
- **Violations**: limits an option shown or proposed breaks (unit price, total, quantity,
  lines, size/colour, shop, delivery time, "cheaper" = a total below the first option shown,
  "faster", "from another shop").
- **Wrong-item proposals**: options shown or proposed whose product is not what was asked
  (`category` prefix, `title_any` words in the English or Chinese title, and for "the second
  one" / "第二个" the option shown in that place).
- **Tracebacks**: an exception out of the assistant, caught per case (the run goes on).
- **Generated catalog** (`trustcart.bench.assistant_eval_catalog`, seeded, nothing
  downloaded): 14 goods (hammers, screwdrivers, wood screws, potting soil, flower seeds,
  pruning shears, pencils, sticky notes, staplers, envelopes, cat litter, bird seed, fish
  flakes, dog leashes) from 3 new merchants, 68 products, EN titles + `title_zh`, their own
  categories and variant attributes; no English word of 3+ letters and no 2-character Chinese
  run shared with the seed (a test asserts it). Imported into a fresh store as a JSONL feed
  through `commerce.ingest.import_catalog`, the path `trustcart import` uses. Requests use
  measure words (一把/一盒/一袋/一包) and unit words ("2 bags of", "2 boxes of").
- **Not covered** (partial): "not that brand", "again"/"再来一杯", records ("my orders",
  revoke) and paying after "yes" are not in the cases; refinements of colour are only on
  t-shirts and of size only on drinks and t-shirts; expectations of "options" rest on the
  documented price ranges of the seed (`local/seed_products.py`) and of the generated goods.
"""


@dataclass
class Report:
    results: list[CaseResult]
    seconds: float = 0.0
    machine: str = ""
    date: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def success_rate(self) -> float:
        return sum(r.ok for r in self.results) / max(1, len(self.results))

    @property
    def violations(self) -> int:
        return sum(len(r.violations) for r in self.results)

    @property
    def wrong_items(self) -> int:
        return sum(len(r.wrong) for r in self.results)

    @property
    def tracebacks(self) -> int:
        return sum(bool(r.traceback) for r in self.results)

    @property
    def meets_targets(self) -> bool:
        return (
            self.success_rate >= SUCCESS_TARGET
            and self.violations == 0
            and self.wrong_items == 0
            and self.tracebacks == 0
        )

    def summary(self) -> str:
        """One line: the four figures."""
        return (
            f"{len(self.results)} cases, success {self.success_rate:.1%}, "
            f"violations {self.violations}, wrong-item proposals {self.wrong_items}, "
            f"tracebacks {self.tracebacks}"
        )

    def _rows(self, key: str) -> str:
        groups: dict[str, list[CaseResult]] = defaultdict(list)
        for r in self.results:
            name = {"kind": r.kind, "language": "中文" if r.chinese else "English"}.get(key, "")
            groups[name if key != "catalog" else r.catalog].append(r)
        return "\n".join(
            f"| {name} | {len(rs)} | {sum(r.ok for r in rs)} | "
            f"{sum(len(r.violations) for r in rs)} | {sum(len(r.wrong) for r in rs)} | "
            f"{sum(bool(r.traceback) for r in rs)} |"
            for name, rs in sorted(groups.items())
        )

    def _failing(self) -> str:
        by_kind: dict[str, list[CaseResult]] = defaultdict(list)
        for r in self.results:
            if not r.ok:
                by_kind[r.kind].append(r)
        if not by_kind:
            return "- none\n"
        parts = []
        for kind in sorted(by_kind):
            lines = [
                f"- `{r.case_id}`: "
                + "; ".join(
                    ([f"traceback: {r.traceback}"] if r.traceback else [])
                    + r.failures
                    + [f"violation: {v}" for v in r.violations]
                    + [f"wrong item: {w}" for w in r.wrong]
                )
                for r in by_kind[kind]
            ]
            parts.append(f"### {kind} ({len(by_kind[kind])})\n\n" + "\n".join(lines) + "\n")
        return "\n".join(parts)

    def markdown(self, robustness: tuple[int, int, int] | None = None) -> str:
        """The whole report page (docs/assistant-eval.md)."""
        dialogues = sum(r.turns > 1 for r in self.results)
        chinese = sum(r.chinese for r in self.results)
        generated = sum(r.catalog == "generated" for r in self.results)
        head = (
            "| | cases | succeeded | violations | wrong items | tracebacks |\n"
            "|---|---|---|---|---|---|\n"
        )
        kinds = Counter(r.kind for r in self.results)
        text = (
            "# Assistant evaluation\n\n"
            "Shopping requests and dialogues in English and Chinese, each with its expected "
            "outcome written as constraints from the case text (never exact products, never "
            "computed by the assistant), run through the deterministic assistant (no model) "
            "over the real protocols: on the seeded marketplace, and on a generated catalog "
            "(hardware, garden, stationery, pet goods; no word shared with the seed) imported "
            "into a fresh store as new merchants' JSONL feed. Reproduce with:\n\n"
            f"{COMMAND}\n"
            "(`tests/assistant/test_eval.py` checks the case counts and runs a deterministic "
            "sample of every kind.)\n\n"
            f"Run: {self.date or 'n/a'}, {self.machine or 'n/a'}, {self.seconds:.0f} s for "
            f"{len(self.results)} cases.\n\n"
            "| figure | value | target |\n|---|---|---|\n"
            f"| cases | {len(self.results)} | ≥ 400 |\n"
            f"| multi-turn dialogues | {dialogues} | ≥ 100 |\n"
            f"| Chinese cases | {chinese} ({chinese / max(1, len(self.results)):.0%}) | ≥ 35 % |\n"
            f"| cases on the generated catalog | {generated} | ≥ 100 |\n"
            f"| success rate | {self.success_rate:.1%} | ≥ 95 % |\n"
            f"| constraint violations in options shown | {self.violations} | 0 |\n"
            f"| wrong-item proposals | {self.wrong_items} | 0 |\n"
            f"| tracebacks | {self.tracebacks} | 0 |\n\n"
            f"## By kind ({len(kinds)} kinds)\n\n{head}{self._rows('kind')}\n\n"
            f"## By language\n\n{head}{self._rows('language')}\n\n"
            f"## By catalog\n\n{head}{self._rows('catalog')}\n\n"
        )
        text += METHOD + "\n" + "".join(f"{note}\n\n" for note in self.notes)
        text += f"## Cases that did not succeed\n\n{self._failing()}"
        if robustness is not None:
            total, intents, questions = robustness
            text += (
                "\n## Robustness: WANDS furniture queries\n\n"
                f"{total} real queries from a furniture store (`shared/data/wands/query.csv`), "
                "none of which the marketplace sells: every one must yield an intent or a "
                f"question, never an error. Intents: {intents}; questions: {questions}; "
                f"errors: {total - intents - questions}.\n"
            )
        return text
