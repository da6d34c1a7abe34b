"""ACT 2.1 A402 suite (``act-a402``), read at run time from ``<conformance>/act/a402``.

The folder holds the ACT implementation artifact (``antgroup/ACT`` ``code/schemas/a402``). Cases:

* ``fixture``: every file in ``fixtures/valid`` decodes with trustcart's codec (or manifest
  parser) and encodes back to the same JSON, and, for headers, to the same header text;
  every file in ``fixtures/invalid`` (when the folder has one) is refused.
* ``catalog``: ``error-catalog.json`` and ``A402Code`` hold the same ids, both ways, and each
  entry's category, phase, retryability, next actions and message equal trustcart's (the body
  built for a code is the catalog entry itself).
* ``states``: the state and event names of ``transaction-state.schema.json`` are exactly
  trustcart's, and each state's row of the table is A402 section 6's, every other event refused.
* ``header``: strict decoding refuses padding, standard Base64, non-UTF-8, non-object JSON,
  oversize values, duplicate keys, a missing layer and method fields redefining baseline fields,
  each with its documented defect and ACT-A402 code.
* ``assertion``: every entry of ``tests/a402-assertions.json`` is checked against the pure core
  (``act_a402_assertions``) or reported as not applicable with the reason; an assertion id with
  neither fails.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from trustcart.conformance import CaseResult, SuiteResult
from trustcart.conformance.act_a402_assertions import assertion_cases
from trustcart.conformance.web_bot_auth import ENV_VAR, conformance_dir
from trustcart.core.errors import ValidationError
from trustcart.payments.a402 import codec
from trustcart.payments.a402.body import ErrorBody, error_body
from trustcart.payments.a402.codes import CATALOG, CATALOG_VERSION, A402Code, HeaderDefect
from trustcart.payments.a402.errors import HeaderRefused, IllegalTransactionTransition
from trustcart.payments.a402.manifest import WorkflowBindingManifest
from trustcart.payments.a402.states import (
    TransactionEvent,
    TransactionState,
    allowed_next,
    next_state,
)
from trustcart.payments.a402.wire import MAX_HEADER_CHARS, decode_json_header, encode_json_header

SUITE = "act-a402"
FOLDER = Path("act/a402")

# ACT 2.1 A402 section 6, "Allowed transition" column (docs/specification/a402.en.md).
SPEC_NEXT_STATES: dict[str, set[str]] = {
    "CREATE": {"WAIT_BUYER_PAY"},
    "WAIT_BUYER_PAY": {"WAIT_SELLER_FULFILLMENT", "TRADE_CLOSED"},
    "WAIT_SELLER_FULFILLMENT": {"WAIT_BUYER_RECEIPT", "TRADE_CLOSED"},
    "WAIT_BUYER_RECEIPT": {"TRADE_FINISHED", "TRADE_CLOSED"},
    "TRADE_FINISHED": set(),
    "TRADE_CLOSED": set(),
}


def _run(case_id: str, check: Callable[[], str]) -> CaseResult:
    try:
        return CaseResult(case_id, True, check())
    except Exception as e:
        return CaseResult(case_id, False, f"{type(e).__name__}: {e}")


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


# -- fixtures ------------------------------------------------------------------------------------

_HEADER_KINDS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], dict[str, Any]]]] = {
    "payment-needed": (codec.requirement_from_payload, codec.requirement_payload),
    "payment-proof": (codec.proof_from_payload, codec.proof_payload),
    "payment-validation": (codec.validation_from_payload, codec.validation_payload),
}


def _kind(stem: str) -> str | None:
    for kind in (*_HEADER_KINDS, "error", "workflow-binding-manifest"):
        if stem == kind or stem.startswith(kind + "-"):
            return kind
    return None


def _round_trip(kind: str, payload: Any) -> str:
    if kind in _HEADER_KINDS:
        parse, write = _HEADER_KINDS[kind]
        header = encode_json_header(payload)
        value = parse(decode_json_header(header))
        _expect(write(value) == payload, "re-encoded payload differs from the fixture")
        _expect(encode_json_header(write(value)) == header, "header text differs")
        return "decoded; payload and header text round-trip byte-exact"
    if kind == "error":
        _expect(ErrorBody.from_json(payload).to_json() == payload, "error body differs")
        return "parsed; round-trips"
    manifest = WorkflowBindingManifest.from_json(payload)
    _expect(manifest.to_json() == payload, "manifest differs")
    return "parsed; round-trips"


def _refused(kind: str, payload: Any) -> str:
    try:
        _round_trip(kind, payload)
    except (HeaderRefused, ValidationError) as e:
        return f"refused: {e}"
    raise AssertionError("an invalid fixture was accepted")


def fixture_cases(folder: Path) -> Iterator[CaseResult]:
    for validity, check in (("valid", _round_trip), ("invalid", _refused)):
        for path in sorted((folder / "fixtures" / validity).glob("*.json")):
            case_id = f"fixture {validity}/{path.name}"
            kind = _kind(path.stem)
            if kind is None:
                yield CaseResult(case_id, False, "no decoder for this fixture")
                continue
            payload = json.loads(path.read_text(encoding="utf-8"))
            yield _run(case_id, partial(check, kind, payload))


# -- error catalog -------------------------------------------------------------------------------


def _catalog_ids(catalog: dict[str, Any]) -> str:
    _expect(catalog.get("catalog_version") == CATALOG_VERSION, "catalog version differs")
    ids = [entry["error_id"] for entry in catalog["errors"]]
    _expect(len(ids) == len(set(ids)), "duplicate error_id in the catalog")
    missing = sorted(set(ids) - {str(code) for code in A402Code})
    extra = sorted({str(code) for code in A402Code} - set(ids))
    _expect(not missing and not extra, f"not in A402Code: {missing}; not in catalog: {extra}")
    return f"{len(ids)} codes, the same both ways"


def _catalog_entry(entry: dict[str, Any]) -> str:
    code = A402Code(entry["error_id"])
    built = error_body(code).to_json()
    _expect(built == entry, f"trustcart's entry differs: {built}")
    _expect(CATALOG[code].message == entry["message"], "message differs")
    return f"equal; HTTP {CATALOG[code].http_status}"


def catalog_cases(folder: Path) -> Iterator[CaseResult]:
    catalog = json.loads((folder / "error-catalog.json").read_text(encoding="utf-8"))
    yield _run("catalog ids", lambda: _catalog_ids(catalog))
    for entry in catalog.get("errors", []):
        yield _run(f"catalog {entry.get('error_id')}", partial(_catalog_entry, entry))


# -- states --------------------------------------------------------------------------------------


def _state_names(schema: dict[str, Any]) -> str:
    states = schema["$defs"]["state"]["enum"]
    events = schema["properties"]["event"]["enum"]
    _expect(states == [str(state) for state in TransactionState], "state names differ")
    _expect(set(events) == {str(event) for event in TransactionEvent}, "event names differ")
    _expect(set(SPEC_NEXT_STATES) == set(states), "the section 6 table names other states")
    return f"{len(states)} states, {len(events)} events, no others"


def _state_row(state: TransactionState) -> str:
    _expect(
        {str(to) for to in allowed_next(state)} == SPEC_NEXT_STATES[state],
        f"allowed next states of {state} differ from A402 section 6",
    )
    refused = 0
    for event in TransactionEvent:
        try:
            target = next_state(state, event)
        except IllegalTransactionTransition as e:
            _expect(e.code is A402Code.STATE_CONFLICT, "an illegal transition has another code")
            refused += 1
        else:
            _expect(str(target) in SPEC_NEXT_STATES[state], f"{event} leads to {target}")
    _expect(refused == len(TransactionEvent) - len(SPEC_NEXT_STATES[state]), "refusals differ")
    return f"{len(SPEC_NEXT_STATES[state])} allowed, {refused} events refused"


def state_cases(folder: Path) -> Iterator[CaseResult]:
    schema = json.loads((folder / "transaction-state.schema.json").read_text(encoding="utf-8"))
    yield _run("states names", lambda: _state_names(schema))
    for state in TransactionState:
        yield _run(f"states row {state}", partial(_state_row, state))


# -- header format -------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _header_variants(fixture: dict[str, Any]) -> dict[str, tuple[str, HeaderDefect]]:
    text = json.dumps(fixture)
    duplicated = text.replace('{"protocol": {', '{"protocol": {"amount": "9.99", ', 1)
    redefined = {**fixture, "method": {**fixture["method"], "Amount": "0.00"}}
    return {
        "padded": (_b64(b'{"a":"1"}') + "=", HeaderDefect.PADDED),
        "standard base64": (base64.b64encode(b'{"ab":">>?"}').decode(), HeaderDefect.NOT_BASE64URL),
        "not UTF-8": (_b64(b'{"a":"\xff"}'), HeaderDefect.NOT_UTF8),
        "not an object": (_b64(b'["protocol", "method"]'), HeaderDefect.NOT_OBJECT),
        "oversize": ("A" * (MAX_HEADER_CHARS + 4), HeaderDefect.TOO_LARGE),
        "duplicate key": (_b64(duplicated.encode()), HeaderDefect.DUPLICATE_KEY),
        "missing method layer": (
            encode_json_header(fixture["protocol"]),
            HeaderDefect.ENVELOPE_INVALID,
        ),
        "method redefines amount": (encode_json_header(redefined), HeaderDefect.BASELINE_REDEFINED),
    }


def _header_refused(value: str, defect: HeaderDefect) -> str:
    try:
        codec.decode_payment_needed(value)
    except HeaderRefused as e:
        _expect(e.defect is defect, f"refused as {e.defect}, expected {defect}")
        return f"refused: {defect} ({e.code})"
    raise AssertionError("accepted")


def header_cases(folder: Path) -> Iterator[CaseResult]:
    path = folder / "fixtures" / "valid" / "payment-needed.json"
    fixture = json.loads(path.read_text(encoding="utf-8"))
    for name, (value, defect) in _header_variants(fixture).items():
        yield _run(f"header {name}", partial(_header_refused, value, defect))


def run(directory: Path | None = None) -> SuiteResult:
    folder = (directory or conformance_dir()) / FOLDER
    if not folder.is_dir():
        return SuiteResult(SUITE, error=f"ACT A402 artifacts not found at {folder} (set {ENV_VAR})")
    cases: list[CaseResult] = []
    for make in (fixture_cases, catalog_cases, state_cases, header_cases, assertion_cases):
        try:
            cases.extend(make(folder))
        except (OSError, ValueError, KeyError, TypeError) as e:
            cases.append(CaseResult(make.__name__, False, f"cannot run: {type(e).__name__}: {e}"))
    return SuiteResult(SUITE, tuple(cases))
