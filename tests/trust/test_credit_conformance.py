"""The ``act-tsd-crd`` conformance suite: all 34 vectors pass, and the suite can fail (an
accepted invalid vector, a refused valid one, a vector in the wrong folder, an altered schema,
a missing folder, an unknown vector form, a scenario whose code the verifier does not give)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from trustcart.conformance import act_tsd_crd
from trustcart.conformance.runner import SUITES, summary
from trustcart.trust.credit import schemas
from trustcart.trust.credit.errors import SchemaUnavailable
from trustcart.trust.credit.reasons import ReasonCode
from trustcart.trust.credit.schemas import load_schema_set, profile_dir


def test_every_vector_passes() -> None:
    result = act_tsd_crd.run()
    assert result.error is None
    assert [c for c in result.cases if not c.passed] == []
    assert (result.passed, result.failed) == (34, 0)
    assert sum(c.case_id.startswith("valid/") for c in result.cases) == 23
    assert sum(c.case_id.startswith("invalid/") for c in result.cases) == 11


def test_the_suite_is_registered_and_in_the_json_shape() -> None:
    from trustcart.cli.conformance import conformance

    app = typer.Typer()
    app.callback()(lambda: None)
    app.command()(conformance)
    assert SUITES["act-tsd-crd"] is act_tsd_crd.run
    outcome = CliRunner().invoke(app, ["conformance", "--json", "--suite", "act-tsd-crd"])
    assert outcome.exit_code == 0, outcome.output
    assert json.loads(outcome.output) == {"act-tsd-crd": {"passed": 34, "failed": 0}}
    assert summary([act_tsd_crd.run()]) == {"act-tsd-crd": {"passed": 34, "failed": 0}}


def test_every_reason_code_has_a_vector_and_a_scenario() -> None:
    vectors = profile_dir() / "test-vectors" / "valid"
    covered = {
        json.loads(path.read_text())["expectedReasonCode"]
        for path in vectors.glob("reason-code-*.json")
    }
    assert covered == {code.value for code in ReasonCode}
    assert set(act_tsd_crd.SCENARIOS) == {path.stem for path in vectors.glob("reason-code-*.json")}


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "reference-v1"
    shutil.copytree(profile_dir() / "test-vectors", target / "test-vectors")
    return target


def _edit(copy: Path, name: str, change: Any) -> None:
    path = copy / "test-vectors" / name
    vector = json.loads(path.read_text())
    change(vector)
    path.write_text(json.dumps(vector))


def _failed(copy: Path) -> dict[str, str]:
    result = act_tsd_crd.run(copy)
    return {case.case_id: case.detail for case in result.cases if not case.passed}


def test_an_invalid_vector_that_is_accepted_fails(copy: Path) -> None:
    valid_payload = json.loads(
        (profile_dir() / "test-vectors/valid/canonical-ed25519-verification.json").read_text()
    )["canonicalPayload"]

    def untamper(vector: dict[str, Any]) -> None:
        vector["canonicalPayload"] = valid_payload

    _edit(copy, "invalid/canonical-ed25519-tampered.json", untamper)

    def repair(vector: dict[str, Any]) -> None:
        vector["instance"]["boundRequestId"] = "verification-request-001"

    _edit(copy, "invalid/credit-query-authorization-per-request-missing-binding.json", repair)
    failed = _failed(copy)
    assert set(failed) == {
        "invalid/canonical-ed25519-tampered",
        "invalid/credit-query-authorization-per-request-missing-binding",
    }
    assert all("invalid vector accepted" in detail for detail in failed.values())


def test_a_valid_vector_that_is_refused_fails(copy: Path) -> None:
    def leak(vector: dict[str, Any]) -> None:
        vector["instance"]["associatedCreditValue"] = {"level": "A"}

    _edit(copy, "valid/verification-response-credential-minimal-disclosure.json", leak)

    def wrong_code(vector: dict[str, Any]) -> None:
        vector["expectedReasonCode"] = "REQUEST_EXPIRED"

    _edit(copy, "valid/reason-code-replay-detected.json", wrong_code)

    def other_situation(vector: dict[str, Any]) -> None:
        vector["input"]["scenario"] = "the request is fine"

    _edit(copy, "valid/reason-code-request-expired.json", other_situation)
    failed = _failed(copy)
    assert set(failed) == {
        "valid/verification-response-credential-minimal-disclosure",
        "valid/reason-code-replay-detected",
        "valid/reason-code-request-expired",
    }
    assert "valid vector refused" in failed["valid/reason-code-replay-detected"]
    assert "REPLAY_DETECTED" in failed["valid/reason-code-replay-detected"]


def test_a_vector_in_the_wrong_folder_or_of_unknown_form_fails(copy: Path) -> None:
    vectors = copy / "test-vectors"
    shutil.move(
        vectors / "invalid/status-change-revoked-to-active.json",
        vectors / "valid/status-change-revoked-to-active.json",
    )
    (vectors / "valid/new.json").write_text(json.dumps({"id": "new", "expectedValid": True}))
    (vectors / "valid/broken.json").write_text("{not json")
    unknown_situation = json.loads((vectors / "valid/reason-code-verified.json").read_text())
    unknown_situation["id"] = "reason-code-something-new"
    (vectors / "valid/reason-code-something-new.json").write_text(json.dumps(unknown_situation))
    failed = _failed(copy)
    assert set(failed) == {
        "valid/status-change-revoked-to-active",
        "valid/new",
        "valid/broken",
        "valid/reason-code-something-new",
    }
    assert "unknown vector form" in failed["valid/new"]
    assert "no scenario" in failed["valid/reason-code-something-new"]


def test_a_missing_folder_is_an_error_not_a_pass(tmp_path: Path) -> None:
    result = act_tsd_crd.run(tmp_path)
    assert result.error is not None
    assert result.failed >= 1
    assert result.passed == 0


def test_an_altered_schema_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "schemas"
    shutil.copytree(profile_dir() / "schemas", folder)
    path = folder / "association-credential.schema.json"
    document = json.loads(path.read_text())
    document["additionalProperties"] = True  # would let an Agent key into the core credential
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(SchemaUnavailable, match="pinned"):
        load_schema_set(folder)
    (folder / "common.schema.json").unlink()
    with pytest.raises(SchemaUnavailable):
        load_schema_set(folder)


def test_a_schema_with_an_unchecked_format_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "schemas"
    shutil.copytree(profile_dir() / "schemas", folder)
    path = folder / "common.schema.json"
    document = json.loads(path.read_text())
    document["$defs"]["identifier"]["format"] = "email"
    raw = json.dumps(document).encode()
    path.write_bytes(raw)
    import hashlib

    pins = dict(schemas.PINS)
    pins[schemas.CreditSchema.COMMON] = hashlib.sha256(raw).hexdigest()
    monkeypatch.setattr(schemas, "PINS", pins)
    with pytest.raises(SchemaUnavailable, match="unchecked formats"):
        load_schema_set(folder)


def test_formats_are_asserted() -> None:
    assert schemas.is_rfc3339("2026-08-12T09:00:00.123456789+08:00")
    for bad in ("2026-02-30T09:00:00Z", "2026-08-12T09:00:00", "2026-08-12", "tomorrow"):
        assert not schemas.is_rfc3339(bad)
    assert schemas.is_uri("https://issuer.example/credentials/1")
    assert not schemas.is_uri("/v1/relative")
    assert schemas.is_uri_reference("/v1/association-credentials/x/status")
    for bad in ("has space", "bad%zz", "<script>"):
        assert not schemas.is_uri_reference(bad)
