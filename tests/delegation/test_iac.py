"""IAC issuance and verification (ACT conformance checklist items 1-9)."""

import base64
import json
from datetime import timedelta

import pytest

from tests.helpers.clock import T0
from tests.helpers.delegation import alice_key, make_iac, make_isr
from trustcart.core.money import Money
from trustcart.core.typs import IAC_TYP
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.errors import InvalidCredential
from trustcart.delegation.iac import verify_iac
from trustcart.delegation.isr import ISR
from trustcart.delegation.terms import CommerceConstraints

KEYS = {alice_key().kid: alice_key().public}


def test_issue_and_verify_round_trip() -> None:
    iac = make_iac(T0)
    again = verify_iac(iac.token, KEYS)
    assert again == iac
    payload = iac.payload()
    for field in (
        "delegation_id",
        "intent_id",
        "delegator_identity",
        "agent_id",
        "delegation_mode",
        "validity_start_time",
        "validity_end_time",
        "max_total_amount",
        "currency",
        "allowed_payment_methods",
        "user_confirmation_method",
        "user_confirmation_timestamp",
        "source_isr_digest",
        "status_reference",
        "ext",
    ):
        assert field in payload, field
    assert payload["max_total_amount"] == "80.00"  # a decimal string, never a JCS number
    assert payload["ext"]["commerce"]["max_single_amount"] == "30.00"
    assert payload["source_isr_digest"] == make_isr(T0).digest()
    assert "items" not in payload  # the IAC signs the filtered payload, not the ISR


def test_isr_json_round_trip() -> None:
    isr = make_isr(T0)
    assert ISR.from_json(isr.to_json()) == isr
    assert ISR.from_json(json.loads(json.dumps(isr.to_json()))).digest() == isr.digest()


@pytest.mark.parametrize(
    "overrides",
    [
        {"validity_end": T0},  # end not after start
        {"validity_end": T0 - timedelta(seconds=1)},
        {"max_total": Money(-1, "CNY")},
        {"allowed_payment_methods": ()},
        {"user_intent_raw": "  "},
        {"input_modes": ("TELEPATHY",)},
        {"commerce": CommerceConstraints(max_single=Money.parse("90.00", "CNY"))},  # > total
    ],
)
def test_isr_rules(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidCredential):
        make_isr(T0, **overrides)


def test_constraint_ordering_rule() -> None:
    with pytest.raises(InvalidCredential):
        CommerceConstraints(max_single=Money(100, "CNY"), min_single=Money(200, "CNY"))


def _resign(payload: dict[str, object]) -> str:
    return sign_compact(payload, alice_key(), typ=IAC_TYP)


@pytest.mark.parametrize(
    "field",
    [
        "delegation_id",
        "delegator_identity",
        "agent_id",
        "validity_start_time",
        "validity_end_time",
        "max_total_amount",
        "status_reference",
        "source_isr_digest",
    ],
)
def test_missing_key_field_refused_even_when_signed(field: str) -> None:
    payload = make_iac(T0).payload()
    del payload[field]
    with pytest.raises(InvalidCredential):
        verify_iac(_resign(payload), KEYS)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("delegation_mode",), "WHATEVER"),
        (("max_total_amount",), 80),  # a JSON number, not a decimal string
        (("max_total_amount",), "80.001"),
        (("validity_end_time",), "2026-11-29T07:00:00Z"),  # before start
        (("user_confirmation_timestamp",), None),
        (("ext", "commerce", "max_single_amount"), "90.00"),  # above total
        (("ext", "commerce", "spend_only_on_tuesdays"), True),  # unknown narrowing rule
        (("ext", "surprise"), {}),
        (("status_reference",), {"type": "BitstringStatusList", "url": "x"}),
        (("extra_field",), "x"),
    ],
)
def test_invalid_content_refused_even_when_signed(path: tuple[str, ...], value: object) -> None:
    payload = make_iac(T0).payload()
    target = payload
    for name in path[:-1]:
        target = target[name]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    with pytest.raises(InvalidCredential):
        verify_iac(_resign(payload), KEYS)


def test_tampered_or_foreign_signature_refused() -> None:
    iac = make_iac(T0)
    header, payload, signature = iac.token.split(".")
    raised = json.loads(base64.urlsafe_b64decode(payload + "=="))
    raised["max_total_amount"] = "800.00"
    forged_payload = (
        base64.urlsafe_b64encode(json.dumps(raised, separators=(",", ":"), sort_keys=True).encode())
        .decode()
        .rstrip("=")
    )
    with pytest.raises(InvalidSignature):
        verify_iac(f"{header}.{forged_payload}.{signature}", KEYS)
    mallory = SigningKey.generate()
    with pytest.raises(InvalidSignature):
        verify_iac(make_iac(T0, key=mallory).token, KEYS)


def test_es256_delegator_accepted() -> None:
    key = SigningKey.generate("ES256")
    iac = make_iac(T0, key=key)
    assert verify_iac(iac.token, {key.kid: key.public}).delegation_id == "dlg_test1"
