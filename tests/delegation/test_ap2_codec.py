"""AP2 v0.2 codec (``trustcart.delegation.ap2``): SD-JWT+KB round trips, interop with the plain
``sd-jwt`` library on either side, the pinned schemas, and refusals that name their reason."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from trustcart.core.money import Money
from trustcart.crypto.jcs import b64url_decode
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.ap2 import schemas, sdjwt
from trustcart.delegation.ap2.errors import AP2Refusal, AP2Unavailable, MandateRefused
from trustcart.delegation.ap2.mandates import (
    DISCLOSABLE,
    CheckoutMandate,
    MandateType,
    PaymentMandate,
    bind_payment_to_checkout,
    checkout_hash,
    checkout_mandate_claims,
    payment_mandate_claims,
)

R = AP2Refusal
NOW = datetime(2026, 8, 12, 9, 0, tzinfo=UTC)
ISSUER, HOLDER = SigningKey.generate("ES256"), SigningKey.generate("ES256")
CHECKOUT_JWT = "eyJhbGciOiJFUzI1NiJ9.eyJvcmRlciI6Im9yZF8xIn0.c2lnbmF0dXJl"


def _keys(kid: str) -> Any:
    return ISSUER.public if kid == ISSUER.kid else None


TEA = Money(1800, "CNY")


def _payment_claims(amount: Money = TEA, **extra: Any) -> dict[str, Any]:
    claims = payment_mandate_claims(
        checkout_jwt=CHECKOUT_JWT,
        payee={"id": "m_teahouse", "name": "Tea House"},
        amount=amount,
        instrument={"id": "trustcart-balance", "type": "trustcart.psp_account"},
        issued_at=NOW,
        expires_at=NOW + timedelta(minutes=10),
    )
    claims.update(extra)
    return claims


def _present(claims: dict[str, Any], kind: MandateType = MandateType.PAYMENT, **kw: Any) -> str:
    issued = sdjwt.issue(
        claims, disclosable=DISCLOSABLE.get(kind, ()), issuer_key=ISSUER, holder=HOLDER.public
    )
    return sdjwt.present(
        issued,
        holder_key=HOLDER,
        audience=kw.get("aud", "psp:trustcart"),
        nonce=kw.get("nonce", "req_1"),
        now=kw.get("now", NOW),
    )


def _read(presentation: str, *, now: datetime = NOW) -> PaymentMandate:
    verified = sdjwt.verify_presentation(
        presentation, issuer_key=_keys, audience="psp:trustcart", nonce="req_1", now=now
    )
    return PaymentMandate.from_presentation(verified, now)


def _reason(call: Any) -> AP2Refusal:
    with pytest.raises(MandateRefused) as caught:
        call()
    return caught.value.code


def test_a_payment_mandate_round_trips() -> None:
    mandate = _read(_present(_payment_claims()))
    assert (mandate.payee_id, mandate.amount, mandate.instrument_id) == (
        "m_teahouse",
        Money(1800, "CNY"),
        "trustcart-balance",
    )
    assert mandate.transaction_id == checkout_hash(CHECKOUT_JWT)
    assert mandate.expires_at == NOW + timedelta(minutes=10)


def test_the_instrument_is_selectively_disclosed() -> None:
    presentation = _present(_payment_claims())
    issuer_payload = json.loads(b64url_decode(presentation.split(".")[1]))
    assert "payment_instrument" not in issuer_payload
    assert len(issuer_payload["_sd"]) == 1


def test_a_checkout_mandate_binds_its_payment() -> None:
    claims = checkout_mandate_claims(
        CHECKOUT_JWT, issued_at=NOW, expires_at=NOW + timedelta(minutes=5)
    )
    verified = sdjwt.verify_presentation(
        _present(claims, MandateType.CHECKOUT, aud="m_teahouse", nonce="ord_1"),
        issuer_key=_keys,
        audience="m_teahouse",
        nonce="ord_1",
        now=NOW,
    )
    checkout = CheckoutMandate.from_presentation(verified, NOW)
    bind_payment_to_checkout(_read(_present(_payment_claims())), checkout)
    other = _read(_present(_payment_claims(transaction_id=checkout_hash("a.b.c"))))
    assert _reason(lambda: bind_payment_to_checkout(other, checkout)) is R.CHECKOUT_HASH_MISMATCH


def test_a_checkout_hash_that_is_not_the_checkouts_is_refused() -> None:
    claims = checkout_mandate_claims(
        CHECKOUT_JWT, issued_at=NOW, expires_at=NOW + timedelta(minutes=5)
    )
    claims["checkout_hash"] = checkout_hash("another.checkout.jwt")
    verified = sdjwt.verify_presentation(
        _present(claims, MandateType.CHECKOUT, aud="m", nonce="n"),
        issuer_key=_keys,
        audience="m",
        nonce="n",
        now=NOW,
    )
    assert _reason(lambda: CheckoutMandate.from_presentation(verified, NOW)) is (
        R.CHECKOUT_HASH_MISMATCH
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"vct": "mandate.payment.2"}, R.WRONG_TYPE),
        ({"payment_amount": {"amount": "18.00", "currency": "CNY"}}, R.SCHEMA_INVALID),
        ({"payment_amount": {"amount": 0, "currency": "CNY"}}, R.SCHEMA_INVALID),
        ({"payment_amount": {"amount": 100, "currency": "XXQ"}}, R.SCHEMA_INVALID),
        ({"payee": {"id": "m_teahouse"}}, R.SCHEMA_INVALID),
        ({"exp": int((NOW - timedelta(seconds=1)).timestamp())}, R.EXPIRED),
        ({"iat": int((NOW + timedelta(hours=1)).timestamp())}, R.EXPIRED),
    ],
)
def test_bad_claims_are_refused_with_their_reason(
    change: dict[str, Any], reason: AP2Refusal
) -> None:
    claims = {**_payment_claims(), **change}
    assert _reason(lambda: _read(_present(claims))) is reason


def test_a_mandate_without_expiry_is_refused() -> None:
    claims = _payment_claims()
    del claims["exp"]
    assert _reason(lambda: _read(_present(claims))) is R.EXPIRED


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"aud": "psp:other"}, R.KEY_BINDING_INVALID),
        ({"nonce": "req_2"}, R.KEY_BINDING_INVALID),
        ({"now": NOW - timedelta(minutes=10)}, R.KEY_BINDING_INVALID),  # stale
        ({"now": NOW + timedelta(minutes=5)}, R.KEY_BINDING_INVALID),  # in the future
    ],
)
def test_a_key_binding_for_another_verifier_or_time_is_refused(
    kw: dict[str, Any], reason: AP2Refusal
) -> None:
    assert _reason(lambda: _read(_present(_payment_claims(), **kw))) is reason


def test_an_issuance_without_key_binding_is_refused() -> None:
    issued = sdjwt.issue(_payment_claims(), disclosable=(), issuer_key=ISSUER, holder=HOLDER.public)
    assert _reason(lambda: _read(issued)) is R.MALFORMED


def test_an_unknown_issuer_is_refused() -> None:
    stranger = SigningKey.generate("ES256")
    issued = sdjwt.issue(
        _payment_claims(), disclosable=(), issuer_key=stranger, holder=HOLDER.public
    )
    presented = sdjwt.present(
        issued, holder_key=HOLDER, audience="psp:trustcart", nonce="req_1", now=NOW
    )
    assert _reason(lambda: _read(presented)) is R.ISSUER_UNKNOWN


def test_an_eddsa_key_cannot_sign_mandates() -> None:
    with pytest.raises(ValueError, match="ES256"):
        sdjwt.issue(
            _payment_claims(),
            disclosable=(),
            issuer_key=SigningKey.generate(),
            holder=HOLDER.public,
        )


# -- interop: the plain sd-jwt library on the other side ------------------------------------


def test_our_mandate_verifies_with_the_plain_library() -> None:
    presentation = _present(_payment_claims())
    verifier = SDJWTVerifier(
        presentation,
        lambda _iss, _header: JWK(**ISSUER.public.to_jwk()),
        expected_aud="psp:trustcart",
        expected_nonce="req_1",
    )
    payload = verifier.get_verified_payload()
    schemas.validate(schemas.AP2Schema.PAYMENT_MANDATE, payload)
    assert payload["payment_instrument"]["id"] == "trustcart-balance"


def test_a_mandate_made_with_the_plain_library_is_read_by_ours() -> None:
    now = datetime.now(UTC)  # the library's holder stamps the KB-JWT with the wall clock
    claims = _payment_claims()
    claims.update(iat=int(now.timestamp()), exp=int((now + timedelta(minutes=5)).timestamp()))
    user_claims = {SDObj(k) if k == "payment_instrument" else k: v for k, v in claims.items()}
    issuer = SDJWTIssuer(
        user_claims,
        JWK(**ISSUER.to_private_jwk()),
        holder_key=JWK(**HOLDER.public.to_jwk()),
        sign_alg="ES256",
        extra_header_parameters={"typ": "dc+sd-jwt", "kid": ISSUER.kid},
    )
    holder = SDJWTHolder(issuer.sd_jwt_issuance)
    holder.create_presentation(
        {"payment_instrument": True},
        nonce="req_1",
        aud="psp:trustcart",
        holder_key=JWK(**HOLDER.to_private_jwk()),
        sign_alg="ES256",
    )
    mandate = _read(holder.sd_jwt_presentation, now=now)
    assert mandate.amount == Money(1800, "CNY")


# -- schemas ---------------------------------------------------------------------------------


def test_the_pinned_schemas_load_and_an_altered_one_is_refused(tmp_path: Path) -> None:
    source = schemas.schema_dir()
    schemas.load_schema_set(source)
    copy = tmp_path / "schemas"
    shutil.copytree(source, copy)
    path = copy / "types" / "amount.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"integer"', '"number"'), encoding="utf-8"
    )
    with pytest.raises(AP2Unavailable):
        schemas.load_schema_set(copy)
    with pytest.raises(AP2Unavailable):
        schemas.load_schema_set(tmp_path / "missing")


def test_the_receipt_schema_requires_the_success_ids() -> None:
    receipt = {"status": "Success", "iss": "psp", "iat": 1, "reference": "r", "payment_id": "p"}
    assert schemas.default_schema_set().errors(schemas.AP2Schema.PAYMENT_RECEIPT, receipt)


# -- properties ------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    minor=st.integers(min_value=1, max_value=10**9), currency=st.sampled_from(["CNY", "USD", "JPY"])
)
def test_any_amount_round_trips_exactly(minor: int, currency: str) -> None:
    assert _read(_present(_payment_claims(Money(minor, currency)))).amount == Money(minor, currency)


@settings(max_examples=30, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from("AQgw_-"))
def test_any_changed_character_is_refused(position: int, replacement: str) -> None:
    presentation = PRESENTED
    index = position % len(presentation)
    # Skip separators and each segment's last character (its spare base64url bits may not
    # change the decoded bytes).
    end_of_segment = index + 1 == len(presentation) or presentation[index + 1] in "~."
    if presentation[index] in (replacement, "~", ".") or end_of_segment:
        return
    tampered = presentation[:index] + replacement + presentation[index + 1 :]
    with pytest.raises(MandateRefused):
        _read(tampered)


PRESENTED = _present(_payment_claims())


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300) | st.from_regex(r"[A-Za-z0-9_.~-]{0,300}", fullmatch=True))
def test_only_a_refusal_escapes_the_parser(text: str) -> None:
    with pytest.raises(MandateRefused):
        _read(text)
