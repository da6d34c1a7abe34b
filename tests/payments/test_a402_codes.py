"""The ACT-A402 codes: the same as error-catalog.json both ways, documented, schema-valid bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.a402 import load, schema_errors
from trustcart.core.errors import ValidationError
from trustcart.payments.a402.body import ErrorBody, error_body
from trustcart.payments.a402.codes import (
    CATALOG,
    CATALOG_VERSION,
    HEADER_DEFECT_CODES,
    NEW_REQUIREMENT_NEEDED,
    PROOF_REJECTION_CODES,
    A402Code,
    HeaderDefect,
    NextAction,
    ProofRejection,
    http_status,
)
from trustcart.payments.a402.errors import HeaderRefused, ProofRefused

CATALOG_FILE = load("error-catalog.json")
ENTRIES = {entry["error_id"]: entry for entry in CATALOG_FILE["errors"]}
DOC = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")


def test_every_catalog_code_is_in_the_enum_and_back() -> None:
    assert CATALOG_FILE["catalog_version"] == CATALOG_VERSION
    assert set(ENTRIES) == {str(code) for code in A402Code}
    assert set(CATALOG) == set(A402Code)
    assert len(ENTRIES) == len(CATALOG_FILE["errors"])  # no duplicate ids in the file


@pytest.mark.parametrize("code", list(A402Code))
def test_each_entry_equals_the_catalog(code: A402Code) -> None:
    entry, ours = ENTRIES[str(code)], CATALOG[code]
    assert str(ours.category) == entry["category"]
    assert str(ours.phase) == entry["phase"]
    assert str(ours.retryability) == entry["retryability"]
    assert [str(action) for action in ours.valid_next_actions] == entry["valid_next_actions"]
    assert ours.message == entry["message"]
    assert error_body(code).to_json() == entry


@pytest.mark.parametrize("code", list(A402Code))
def test_built_bodies_validate_against_the_pinned_schema(code: A402Code) -> None:
    body = error_body(code, details={"reason": "x", "n": [1, 2]}, retry_after_seconds=30)
    assert schema_errors("error.schema.json", body.to_json()) == []
    assert ErrorBody.from_json(body.to_json()) == body


def test_http_statuses_are_the_documented_ones() -> None:
    assert {code: http_status(code) for code in A402Code} == {
        A402Code.SIGNATURE_INVALID: 401,
        A402Code.REQUEST_INVALID: 400,
        A402Code.METHOD_UNSUPPORTED: 400,
        A402Code.PARTICIPANT_INVALID: 403,
        A402Code.LIMIT_OR_ASSET_REJECTED: 402,
        A402Code.AUTHORIZATION_REJECTED: 403,
        A402Code.STATE_CONFLICT: 409,
        A402Code.REFUND_FAILED: 502,
        A402Code.FULFILLMENT_FAILED: 500,
        A402Code.PROOF_INVALID: 402,
        A402Code.SYSTEM_UNAVAILABLE: 503,
    }


def test_every_reason_maps_to_one_code() -> None:
    assert set(HEADER_DEFECT_CODES) == set(HeaderDefect)
    assert set(PROOF_REJECTION_CODES) == set(ProofRejection)
    assert set(ProofRejection) >= NEW_REQUIREMENT_NEEDED
    # Where a new requirement is the remedy, the code must offer it as a next action.
    for reason in NEW_REQUIREMENT_NEEDED:
        actions = CATALOG[PROOF_REJECTION_CODES[reason]].valid_next_actions
        assert NextAction.CREATE_NEW_REQUIREMENT in actions


def test_errors_carry_code_and_reason_in_their_body() -> None:
    refused = ProofRefused(ProofRejection.REPLAYED)
    body = refused.body().to_json()
    assert body["error_id"] == "ACT-A402-PROOF_INVALID"
    assert body["details"] == {"reason": "a402-proof-replayed"}
    header = HeaderRefused(HeaderDefect.BASELINE_REDEFINED)
    assert isinstance(header, ValidationError)
    assert header.body().to_json()["error_id"] == "ACT-A402-METHOD_UNSUPPORTED"


@pytest.mark.parametrize("codes", [A402Code, HeaderDefect, ProofRejection])
def test_every_code_is_documented(codes: Any) -> None:
    missing = [code.value for code in codes if f"`{code.value}`" not in DOC]
    assert missing == []


@pytest.mark.parametrize(
    "change",
    [
        {"error_id": "ACT-A402-lower"},
        {"error_id": "A402-X"},
        {"category": "OTHER"},
        {"phase": "LATER"},
        {"retryability": "MAYBE"},
        {"valid_next_actions": []},
        {"valid_next_actions": ["ABORT", "ABORT"]},
        {"valid_next_actions": ["JUMP"]},
        {"message": ""},
        {"message": "x" * 1025},
        {"retry_after_seconds": -1},
        {"retry_after_seconds": 86401},
        {"retry_after_seconds": True},
        {"details": ["not", "an", "object"]},
        {"extra": 1},
    ],
)
def test_malformed_error_bodies_are_refused_as_the_schema_would(change: dict[str, Any]) -> None:
    body = {**error_body(A402Code.STATE_CONFLICT).to_json(), **change}
    assert schema_errors("error.schema.json", body) != []
    with pytest.raises(ValidationError):
        ErrorBody.from_json(body)


def test_an_unknown_but_well_formed_error_id_is_kept_as_text() -> None:
    body = {**error_body(A402Code.STATE_CONFLICT).to_json(), "error_id": "ACT-A402-NEWER"}
    parsed = ErrorBody.from_json(body)
    assert parsed.code is None
    assert parsed.to_json() == body
