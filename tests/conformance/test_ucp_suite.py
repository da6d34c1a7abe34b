"""The ``ucp`` suite: the pinned schemas and their examples, our codec's documents, and invalid
documents that must be refused."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from trustcart.conformance import ucp
from trustcart.conformance.runner import SUITES, summary
from trustcart.conformance.ucp_outputs import codec_outputs

SHARED = Path("/work/shared/conformance")


def _by_kind(result: Any) -> dict[str, list[Any]]:
    kinds: dict[str, list[Any]] = {}
    for case in result.cases:
        kinds.setdefault(case.case_id.split("/", 1)[0], []).append(case)
    return kinds


def test_ucp_suite_passes_with_every_kind_of_case() -> None:
    result = ucp.run()
    assert result.error is None
    assert result.failed == 0, [c for c in result.cases if not c.passed]
    kinds = _by_kind(result)
    files = list(ucp.schemas_dir(SHARED).rglob("*.json"))
    assert len(kinds["schema"]) == len(files)  # every pinned schema file
    assert len(kinds["example"]) >= 10  # the examples the schemas publish
    assert {c.case_id for c in kinds["codec"]} == {
        "codec/profile",
        "codec/checkout",
        "codec/cart",
        "codec/order",
    }
    assert len(kinds["invalid"]) == sum(len(m) for m in ucp.MUTATIONS.values())
    assert "ucp" in SUITES
    assert summary([result]) == {"ucp": {"passed": result.passed, "failed": 0}}


def test_a_schema_that_accepts_anything_fails_the_invalid_cases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ucp, "_problems", lambda registry, refs, instance: "")
    result = ucp.run()
    invalid = _by_kind(result)["invalid"]
    assert invalid
    assert not any(case.passed for case in invalid)
    assert result.failed == len(invalid)


def test_a_codec_document_that_breaks_its_schema_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> dict[str, dict[str, Any]]:
        outputs = codec_outputs()
        del outputs["order"]["id"]
        return outputs

    monkeypatch.setattr(ucp, "codec_outputs", broken)
    failed = [c.case_id for c in ucp.run().cases if not c.passed]
    assert failed == ["codec/order"]


def test_a_broken_example_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    shutil.copytree(SHARED / "ucp", tmp_path / "ucp")
    path = tmp_path / "ucp" / "source" / "schemas" / "shopping" / "types" / "error_code.json"
    path.chmod(0o644)
    text = path.read_text()
    assert '"examples"' in text
    path.write_text(text.replace('"examples": [', '"examples": [12345, ', 1))
    monkeypatch.setenv("TRUSTCART_CONFORMANCE_DIR", str(tmp_path))
    failed = [c.case_id for c in ucp.run().cases if not c.passed]
    assert failed
    assert all(case.startswith("example/shopping/types/error_code.json") for case in failed)


def test_missing_schemas_fail_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRUSTCART_CONFORMANCE_DIR", str(tmp_path))
    result = ucp.run()
    assert result.error is not None
    assert result.failed == 1
