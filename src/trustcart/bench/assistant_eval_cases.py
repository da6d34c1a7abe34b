"""Evaluation cases: loading, validating, counting, and checking what a turn showed (pure).

A case is one JSON line. A single-turn case has ``text``, ``expect`` and ``constraints``; a
dialogue has ``turns``, a list of such ``{"text", "expect", "constraints"}`` said in order in
one conversation, each checked on its own turn. A case's ``catalog`` is ``seed`` (the demo
market, the default) or ``generated`` (``assistant_eval_catalog``). ``expect`` is an outcome
or a list of acceptable ones:

    options      1-3 options shown, each within every constraint
    question     a question and no options (``question`` may name its code)
    impossible   no options, no question, an explanation
    proposal     one option awaiting the person's approval, within every constraint
    comparison   a comparison of shown options (``rows``: how many)
    reply        a message and nothing else (help, cancel)

Constraints are written from the case text, never from the code under test. Two families:

* what was asked for (a *wrong item* when broken): ``category`` (prefix match), ``title_any``
  (one of these words is in the title or ``title_zh``, case-insensitive), ``same_as``
  (``{"turn": t, "option": o}``, 1-based: "the second one" proposes what turn ``t`` showed
  as option ``o``);
* limits (a *violation* when broken): ``max_unit_price``, ``max_total`` (decimal CNY),
  ``quantity``, ``items``, ``attributes``, ``merchant``, ``not_merchant``,
  ``max_delivery_minutes``, ``cheaper_than`` / ``not_merchant_of`` / ``faster_than``
  (``{"turn": t, "option": o}``: a total below / another merchant than / faster than what
  that turn showed in that place).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from trustcart.core.errors import ValidationError

OUTCOMES = frozenset(
    ("options", "question", "impossible", "proposal", "comparison", "reply", "basket")
)
CATALOGS = frozenset(("seed", "generated"))
IDENTITY = frozenset(("category", "title_any", "same_as"))
LIMITS = frozenset(
    (
        "max_unit_price",
        "max_total",
        "quantity",
        "items",
        "attributes",
        "merchant",
        "not_merchant",
        "max_delivery_minutes",
        "cheaper_than",
        "not_merchant_of",
        "faster_than",
        "delegated",
        "rows",
    )
)
_HAN = re.compile(r"[\u4e00-\u9fff]")

Shown = Sequence[Sequence[dict[str, Any]]]  # per earlier turn: its options, as JSON


def turns_of(case: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A case's turns: its ``turns``, or the case itself as one turn."""
    return [dict(t) for t in case["turns"]] if "turns" in case else [dict(case)]


def expected(turn: Mapping[str, Any]) -> tuple[str, ...]:
    value = turn["expect"]
    return (value,) if isinstance(value, str) else tuple(value)


def validate_case(case: Mapping[str, Any]) -> None:
    """Refuse a malformed case (unknown outcome, constraint or catalog) with a ValidationError."""
    if not isinstance(case.get("id"), str) or not case["id"]:
        raise ValidationError("a case needs an id")
    if case.get("catalog", "seed") not in CATALOGS:
        raise ValidationError(f"{case['id']}: unknown catalog {case.get('catalog')!r}")
    turns = turns_of(case)
    if not turns:
        raise ValidationError(f"{case['id']}: no turns")
    for turn in turns:
        if not isinstance(turn.get("text"), str):
            raise ValidationError(f"{case['id']}: a turn needs a text")
        unknown = set(expected(turn)) - OUTCOMES
        if unknown:
            raise ValidationError(f"{case['id']}: unknown outcome {sorted(unknown)}")
        names = set(turn.get("constraints", {})) - IDENTITY - LIMITS
        if names:
            raise ValidationError(f"{case['id']}: unknown constraint {sorted(names)}")


def load_cases(path: Path) -> list[dict[str, Any]]:
    """Every case of a JSON-lines file, validated."""
    cases = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    for case in cases:
        validate_case(case)
    return cases


def is_chinese(case: Mapping[str, Any]) -> bool:
    """Whether the case is said in Chinese (its first turn has Han characters)."""
    return bool(_HAN.search(turns_of(case)[0]["text"]))


def counts(cases: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many cases, dialogues, Chinese cases and cases on the generated catalog."""
    return {
        "cases": len(cases),
        "multi_turn": sum(len(turns_of(c)) > 1 for c in cases),
        "chinese": sum(is_chinese(c) for c in cases),
        "generated": sum(c.get("catalog") == "generated" for c in cases),
        "turns": sum(len(turns_of(c)) for c in cases),
    }


def _referenced(shown: Shown, ref: Mapping[str, Any]) -> dict[str, Any] | None:
    turn, option = int(ref["turn"]) - 1, int(ref["option"]) - 1
    if 0 <= turn < len(shown) and 0 <= option < len(shown[turn]):
        return shown[turn][option]
    return None


def wrong_items(option: dict[str, Any], constraints: Mapping[str, Any], shown: Shown) -> list[str]:
    """The lines of an option that are not what the text asked for."""
    found: list[str] = []
    lines = option["items"]
    wanted = constraints.get("category")
    words = [str(w).lower() for w in constraints.get("title_any", ())]
    for line in lines:
        category = str(line.get("category", ""))
        if wanted and not (category == wanted or category.startswith(wanted + "/")):
            found.append(f"{line['title']} is in {category}, not {wanted}")
        text = f"{line['title']} {line.get('title_zh', '')}".lower()
        if words and not any(w in text for w in words):
            found.append(f"{line['title']} is none of {words}")
    if "same_as" in constraints:
        target = _referenced(shown, constraints["same_as"])
        ids = [line["product_id"] for line in lines]
        if target is None or ids != [line["product_id"] for line in target["items"]]:
            found.append(f"{ids} is not option {constraints['same_as']} shown")
    return found


def _relative(option: dict[str, Any], constraints: Mapping[str, Any], shown: Shown) -> list[str]:
    found: list[str] = []
    for name in ("cheaper_than", "not_merchant_of", "faster_than"):
        if name not in constraints:
            continue
        target = _referenced(shown, constraints[name])
        if target is None:
            found.append(f"{name}: option {constraints[name]} was not shown")
        elif name == "cheaper_than":
            if Decimal(option["total"]["amount"]) >= Decimal(target["total"]["amount"]):
                found.append(f"total {option['total']['amount']} is not below {name}")
        else:
            for line in option["items"]:
                before = target["items"][0]
                if name == "not_merchant_of" and line["merchant_id"] == before["merchant_id"]:
                    found.append(f"{line['title']} is from the same {line['merchant_id']}")
                if name == "faster_than" and int(line["delivery_minutes"]) >= int(
                    before["delivery_minutes"]
                ):
                    found.append(f"{line['title']} is not faster")
    return found


def option_violations(
    option: dict[str, Any], constraints: Mapping[str, Any], shown: Shown = ()
) -> list[str]:
    """The limits an option shown (or proposed) breaks."""
    found: list[str] = []
    lines = option["items"]
    if "max_unit_price" in constraints:
        cap = Decimal(constraints["max_unit_price"])
        found += [
            f"{line['title']} costs {line['unit_price']['amount']} > {cap} each"
            for line in lines
            if Decimal(line["unit_price"]["amount"]) > cap
        ]
    if "max_total" in constraints and Decimal(option["total"]["amount"]) > Decimal(
        constraints["max_total"]
    ):
        found.append(f"total {option['total']['amount']} > {constraints['max_total']}")
    if "quantity" in constraints and sum(int(line["quantity"]) for line in lines) != int(
        constraints["quantity"]
    ):
        found.append(
            f"quantity {[line['quantity'] for line in lines]} != {constraints['quantity']}"
        )
    if "items" in constraints and len(lines) != int(constraints["items"]):
        found.append(f"{len(lines)} lines != {constraints['items']}")
    for line in lines:
        for name, value in constraints.get("attributes", {}).items():
            if str(line.get("attributes", {}).get(name, "")).lower() != str(value).lower():
                found.append(f"{line['title']} has no {name} {value}")
        if constraints.get("merchant") and line["merchant_id"] != constraints["merchant"]:
            found.append(f"{line['title']} is from {line['merchant_id']}")
        if constraints.get("not_merchant") and line["merchant_id"] == constraints["not_merchant"]:
            found.append(f"{line['title']} is from the excluded {line['merchant_id']}")
        limit = constraints.get("max_delivery_minutes")
        if limit is not None and int(line["delivery_minutes"]) > int(limit):
            found.append(f"{line['title']} takes {line['delivery_minutes']} min")
    return found + _relative(option, constraints, shown)
