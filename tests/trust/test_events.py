"""Attestation records (TSD-ATT-OFF): building, hashing, signing, verifying, refusing."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
import rfc8785

from tests.helpers.clock import T0
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import b64url, b64url_decode
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import SigningKey
from trustcart.trust.errors import InvalidRecord, PersonalDataError
from trustcart.trust.events import (
    ATTESTATION_TYP,
    Chain,
    EventType,
    Participant,
    build_record,
    compute_payload_hash,
    sign_record,
    verify_record,
)

MERCHANT = SigningKey.generate()
PSP = SigningKey.generate("ES256")


def counting_random() -> Any:
    counter = iter(range(1, 10_000))
    return lambda n: bytes([next(counter) % 256]) * n


def _participants() -> list[Participant]:
    return [Participant("merchant", "m_1", MERCHANT.kid), Participant("psp", "psp:tc", PSP.kid)]


def _record(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "event_type": EventType.CART_CONFIRMED,
        "chain": Chain("int_1", delegation_id="dlg_1", out_trade_no="ord_1"),
        "participants": _participants(),
        "event_body": {"total": {"amount": "18.00", "currency": "CNY"}, "items": 1},
        "now": T0,
        "random_bytes": counting_random(),
    }
    args.update(overrides)
    return build_record(**args)


def test_exactly_acts_ten_event_types() -> None:
    assert {e.value for e in EventType} == {
        "act:delegation:intent-created",
        "act:delegation:delegation-issued",
        "act:delegation:delegation-suspended",
        "act:delegation:delegation-resumed",
        "act:delegation:delegation-revoked",
        "act:delegation:delegation-expired",
        "act:commerce:decision-logged",
        "act:commerce:cart-confirmed",
        "act:payment:transaction-completed",
        "act:commerce:fulfillment-completed",
    }


def test_record_shape_and_known_hash() -> None:
    record = _record(event_time=T0 - timedelta(seconds=5))
    assert set(record) == {
        "record_id",
        "version",
        "event_type",
        "event_time",
        "created_at",
        "chain",
        "participants",
        "salt",
        "hash_alg",
        "payload_hash",
        "event_body",
    }
    assert record["version"] == "1"
    assert record["event_type"] == "act:commerce:cart-confirmed"
    assert record["event_time"] == "2026-11-29T07:59:55Z"
    assert record["created_at"] == "2026-11-29T08:00:00Z"
    assert record["chain"] == {
        "intent_id": "int_1",
        "delegation_id": "dlg_1",
        "out_trade_no": "ord_1",
    }
    salt = b64url_decode(record["salt"])
    assert salt == bytes([1]) * 16  # the first draw from the passed-in random source
    # Recompute by hand, independently of compute_payload_hash.
    canonical = rfc8785.dumps(
        {"event_body": record["event_body"], "participants": record["participants"]}
    )
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical + salt).digest()).rstrip(b"=")
    assert record["payload_hash"] == expected.decode()


def test_salt_is_fresh_per_record() -> None:
    random = counting_random()
    first, second = _record(random_bytes=random), _record(random_bytes=random)
    assert first["salt"] != second["salt"]
    assert first["payload_hash"] != second["payload_hash"]  # same body, different hash
    assert first["record_id"] != second["record_id"]


def test_sign_and_verify_round_trip() -> None:
    token = sign_record(_record(), MERCHANT)
    verified = verify_record(token, {MERCHANT.kid: MERCHANT.public, PSP.kid: PSP.public})
    assert verified.initiator == Participant("merchant", "m_1", MERCHANT.kid)
    assert verified.event_type is EventType.CART_CONFIRMED
    assert verified.chain.out_trade_no == "ord_1"
    es256 = sign_record(_record(), PSP)
    assert verify_record(es256, {PSP.kid: PSP.public}).initiator.role == "psp"


def test_initiator_must_be_a_participant() -> None:
    outsider = SigningKey.generate()
    with pytest.raises(InvalidRecord):
        sign_record(_record(), outsider)
    # Signed behind sign_record's back: the verifier refuses it as well.
    token = sign_compact(_record(), outsider, typ=ATTESTATION_TYP)
    with pytest.raises(InvalidRecord):
        verify_record(token, {outsider.kid: outsider.public})


def test_unknown_key_and_wrong_typ_fail() -> None:
    token = sign_record(_record(), MERCHANT)
    with pytest.raises(InvalidSignature):
        verify_record(token, {PSP.kid: PSP.public})
    other_typ = sign_compact(_record(), MERCHANT, typ="act-cart+jwt")
    with pytest.raises(InvalidSignature):
        verify_record(other_typ, {MERCHANT.kid: MERCHANT.public})


def _resign(record: dict[str, Any]) -> str:
    return sign_compact(record, MERCHANT, typ=ATTESTATION_TYP)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda r: r["event_body"].update(items=2), id="body-changed"),
        pytest.param(lambda r: r["participants"][1].update(id="psp:other"), id="participant"),
        pytest.param(lambda r: r.update(salt=b64url(b"\x07" * 16)), id="salt-changed"),
        pytest.param(lambda r: r.update(payload_hash=b64url(b"\x00" * 32)), id="hash-changed"),
        pytest.param(lambda r: r.update(salt=b64url(b"\x01" * 15)), id="salt-short"),
        pytest.param(lambda r: r.update(hash_alg="sm3"), id="hash-alg"),
        pytest.param(lambda r: r.update(version="2"), id="version"),
        pytest.param(lambda r: r.update(event_type="act:commerce:made-up"), id="event-type"),
        pytest.param(lambda r: r.pop("salt"), id="salt-missing"),
        pytest.param(lambda r: r.pop("payload_hash"), id="hash-missing"),
        pytest.param(lambda r: r["chain"].pop("intent_id"), id="intent-missing"),
        pytest.param(lambda r: r.update(extra="x"), id="unknown-field"),
        pytest.param(lambda r: r.update(event_time="yesterday"), id="bad-time"),
        pytest.param(lambda r: r.update(participants=[]), id="no-participants"),
    ],
)
def test_signed_but_inconsistent_records_fail(mutate: Any) -> None:
    record = _record()
    mutate(record)
    with pytest.raises(InvalidRecord):
        verify_record(_resign(record), {MERCHANT.kid: MERCHANT.public})


def test_salt_with_a_short_random_source_is_refused() -> None:
    with pytest.raises(InvalidRecord):
        _record(random_bytes=lambda n: b"\x01" * 8)


def test_salt_hash_matches_helper() -> None:
    record = _record()
    assert record["payload_hash"] == compute_payload_hash(
        record["event_body"], record["participants"], b64url_decode(record["salt"])
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Alice"},
        {"buyer_name": "x"},
        {"Full-Name": "x"},
        {"phone": "138"},
        {"buyer_phone": "138"},
        {"email": "a"},
        {"contact": {"x": "1"}},
        {"shipping": {"address": "1 Main St"}},
        {"card_number": "4111"},
        {"PAN": "4111"},
        {"account_number": "1"},
        {"bank_account": "1"},
        {"iban": "DE..."},
        {"passport": "E1"},
        {"id_number": "1"},
        {"items": [{"recipient": "x"}]},
        {"note": "mail me at alice@example.com"},
    ],
)
def test_personal_data_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(PersonalDataError):
        _record(event_body=body)


def test_ordinary_commerce_body_is_accepted() -> None:
    body = {
        "merchant_id": "m_1",
        "total": {"amount": "18.00", "currency": "CNY"},
        "items": [{"product_id": "p_1", "category": "drinks/milk-tea", "quantity": 1}],
        "status": "SUCCESS",
        "cart_digest": "sha-256:abc",
    }
    assert _record(event_body=body)["event_body"] == body


def test_refuses_unknown_type_and_float() -> None:
    with pytest.raises(InvalidRecord):
        _record(event_type="act:commerce:made-up")
    with pytest.raises(InvalidRecord):
        _record(event_body={"amount": 1.5})
    with pytest.raises(InvalidRecord):
        _record(participants=[])
    with pytest.raises(InvalidRecord):
        Chain("")


def test_payload_is_canonical_json_of_the_record() -> None:
    record = _record()
    token = sign_record(record, MERCHANT)
    payload = b64url_decode(token.split(".")[1])
    assert json.loads(payload) == record
    assert payload == rfc8785.dumps(record)
