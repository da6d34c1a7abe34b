"""The act-a402 conformance suite: passes on the pinned artifacts, fails when they disagree."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from trustcart.conformance import act_a402, web_bot_auth
from trustcart.conformance.act_a402_assertions import CHECKS, NOT_APPLICABLE
from trustcart.conformance.runner import run_all, summary

SOURCE = web_bot_auth.conformance_dir() / "act" / "a402"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_suite_passes_on_the_pinned_artifacts() -> None:
    result = act_a402.run()
    assert result.error is None
    assert result.failed == 0, [
        case for case in result.cases if case.applicable and not case.passed
    ]
    assertions = [a["id"] for a in _json(SOURCE / "tests" / "a402-assertions.json")["assertions"]]
    fixtures = list((SOURCE / "fixtures" / "valid").glob("*.json"))
    catalog = _json(SOURCE / "error-catalog.json")["errors"]
    checked = [a for a in assertions if a in CHECKS]
    expected = len(fixtures) + 1 + len(catalog) + 1 + 6 + 8 + len(checked)
    assert result.passed == expected
    assert result.not_applicable == len(assertions) - len(checked) == 6
    reported = [
        case.case_id.removeprefix("assertion ")
        for case in result.cases
        if case.case_id.startswith("assertion ")
    ]
    assert reported == assertions  # every assertion reported, once, in catalog order


def test_not_applicable_assertions_are_neither_passed_nor_failed() -> None:
    result = act_a402.run()
    skipped = {case.case_id: case for case in result.cases if not case.applicable}
    assert set(skipped) == {f"assertion {name}" for name in NOT_APPLICABLE}
    for case in skipped.values():
        assert not case.passed
        assert case.detail.startswith("not applicable to a pure core: ")


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "act" / "a402"
    shutil.copytree(SOURCE, target)
    return target


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    data = _json(path)
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _new_assertion(data: Any) -> None:
    data["assertions"].append({**data["assertions"][1], "id": "A402-TEST-099"})


def _redefining_fixture(data: Any) -> None:
    data["method"]["amount"] = "0.00"


def _sub_fen_fixture(data: Any) -> None:
    data["protocol"]["amount"] = "0.001"


def _catalog_message(data: Any) -> None:
    data["errors"][3]["message"] = "another message"


def _catalog_next_actions(data: Any) -> None:
    data["errors"][9]["valid_next_actions"].pop()


def _catalog_new_code(data: Any) -> None:
    data["errors"].append({**data["errors"][0], "error_id": "ACT-A402-NEW"})


def _catalog_version(data: Any) -> None:
    data["catalog_version"] = "2.2"


def _extra_state(data: Any) -> None:
    data["$defs"]["state"]["enum"].append("PAID")


CATALOG, STATES = "error-catalog.json", "transaction-state.schema.json"
FIXTURE, ASSERTIONS = "fixtures/valid/payment-needed.json", "tests/a402-assertions.json"
MUTATIONS: dict[str, tuple[str, Callable[[Any], None], int]] = {
    "catalog message": (CATALOG, _catalog_message, 1),
    "catalog next actions": (CATALOG, _catalog_next_actions, 1),
    "catalog new code": (CATALOG, _catalog_new_code, 2),  # the id set, and the entry itself
    "catalog version": (CATALOG, _catalog_version, 1),
    "extra state": (STATES, _extra_state, 1),
    "new assertion": (ASSERTIONS, _new_assertion, 1),
    "fixture amount": (FIXTURE, _sub_fen_fixture, 1),
    "fixture redefines a baseline field": (FIXTURE, _redefining_fixture, 1),
}


@pytest.mark.parametrize(("name", "change", "failures"), MUTATIONS.values(), ids=list(MUTATIONS))
def test_the_suite_can_fail(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
    change: Callable[[Any], None],
    failures: int,
) -> None:
    folder = _copy(tmp_path)
    _edit(folder / name, change)
    monkeypatch.setenv(web_bot_auth.ENV_VAR, str(tmp_path))
    result = act_a402.run()
    assert result.failed == failures, [c for c in result.cases if c.applicable and not c.passed]


def test_an_invalid_fixture_that_is_accepted_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = _copy(tmp_path)
    (folder / "fixtures" / "invalid").mkdir()
    shutil.copy(
        folder / "fixtures" / "valid" / "payment-needed.json",
        folder / "fixtures" / "invalid" / "payment-needed-ok.json",
    )
    monkeypatch.setenv(web_bot_auth.ENV_VAR, str(tmp_path))
    result = act_a402.run()
    failed = [case for case in result.cases if not case.passed and case.applicable]
    assert [case.case_id for case in failed] == ["fixture invalid/payment-needed-ok.json"]


def test_a_refused_invalid_fixture_passes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "fixtures" / "invalid").mkdir()
    bad = _json(folder / "fixtures" / "valid" / "payment-needed.json")
    del bad["protocol"]["method_id"]
    (folder / "fixtures" / "invalid" / "payment-needed-missing-method-id.json").write_text(
        json.dumps(bad)
    )
    monkeypatch.setenv(web_bot_auth.ENV_VAR, str(tmp_path))
    result = act_a402.run()
    assert result.failed == 0


def test_a_missing_folder_fails_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(web_bot_auth.ENV_VAR, str(tmp_path / "nowhere"))
    result = act_a402.run()
    assert (result.passed, result.failed) == (0, 1)
    assert result.error is not None
    assert "not found" in result.error


def _cli() -> typer.Typer:
    from trustcart.cli.conformance import conformance

    app = typer.Typer()
    app.callback()(lambda: None)
    app.command()(conformance)
    return app


def test_cli_json_keeps_its_shape_and_verbose_lists_what_was_not_checked() -> None:
    output = CliRunner().invoke(_cli(), ["conformance", "--json", "--suite", "act-a402"])
    assert output.exit_code == 0, output.output
    counts = json.loads(output.output)
    assert list(counts) == ["act-a402"]
    assert set(counts["act-a402"]) == {"passed", "failed"}
    assert counts["act-a402"]["failed"] == 0
    verbose = CliRunner().invoke(_cli(), ["conformance", "--suite", "act-a402", "--verbose"])
    assert verbose.exit_code == 0, verbose.output
    text = " ".join(verbose.output.split())
    for name in NOT_APPLICABLE:
        assert f"n/a act-a402 assertion {name}" in text
    assert "ok act-a402 assertion A402-TEST-004" in text
    assert summary(run_all(["act-a402"]))["act-a402"]["failed"] == 0
