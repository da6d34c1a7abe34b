"""The signing desk: the browser's signature counts only over the bytes presented, with the key
registered; every way around that is refused and ends the wallet's wait."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.soft_browser import sign_presented, signing_input, wait_for
from trustcart.assistant.errors import WalletError
from trustcart.core.typs import APPROVAL_TYP
from trustcart.crypto.jcs import b64url
from trustcart.crypto.jws import verify_compact
from trustcart.crypto.keys import SigningKey
from trustcart.web.shoppers import public_key_from_browser
from trustcart.web.signing_desk import (
    SignatureKind,
    SigningCode,
    SigningDesk,
    SigningRefused,
    SigningRequest,
)
from trustcart.web.signing_summary import summary_rows

PAYLOAD = {"amount": {"amount": "18.00", "currency": "CNY"}, "out_trade_no": "ord_1"}


def _signing(desk: SigningDesk) -> tuple[threading.Thread, dict[str, object]]:
    """Start the wallet's side: ``sign`` in a thread; the outcome lands in the dict."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["token"] = desk.sign(SignatureKind.APPROVAL, APPROVAL_TYP, PAYLOAD)
        except WalletError as e:
            outcome["error"] = str(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    wait_for(desk.pending)
    return thread, outcome


def test_a_signature_over_the_presented_bytes_gives_the_jws() -> None:
    key = SigningKey.generate()
    desk = SigningDesk(key.public)
    thread, outcome = _signing(desk)
    pending = desk.pending()
    assert pending is not None
    desk.answer(**sign_presented(key, pending.to_json()))
    thread.join(5)
    token = outcome["token"]
    assert isinstance(token, str)
    assert verify_compact(token, {key.kid: key.public}, typ=APPROVAL_TYP).payload == PAYLOAD
    assert desk.pending() is None


def test_a_changed_payload_is_refused_and_ends_the_signing() -> None:
    key = SigningKey.generate()
    desk = SigningDesk(key.public)
    thread, outcome = _signing(desk)
    pending = desk.pending()
    assert pending is not None
    higher = pending.payload_text.replace("18.00", "1.00")
    with pytest.raises(SigningRefused) as refused:
        desk.answer(**sign_presented(key, pending.to_json(), higher))
    assert refused.value.code is SigningCode.SIGNED_BYTES_DIFFER
    thread.join(5)
    assert "web.signed-bytes-differ" in str(outcome["error"])
    assert "token" not in outcome


def test_a_correct_signature_after_a_refusal_is_not_taken() -> None:
    key = SigningKey.generate()
    desk = SigningDesk(key.public, timeout=0.5)
    thread, outcome = _signing(desk)
    pending = desk.pending()
    assert pending is not None
    with pytest.raises(SigningRefused):
        desk.answer(**sign_presented(key, pending.to_json(), "{}"))
    with pytest.raises(SigningRefused):  # the refusal ended it: no second try
        desk.answer(**sign_presented(key, pending.to_json()))
    thread.join(5)
    assert "token" not in outcome


def test_another_key_is_refused() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    desk = SigningDesk(key.public)
    thread, outcome = _signing(desk)
    pending = desk.pending()
    assert pending is not None
    with pytest.raises(SigningRefused) as refused:
        desk.answer(**sign_presented(other, pending.to_json()))
    assert refused.value.code is SigningCode.SIGNATURE_INVALID
    thread.join(5)
    assert "token" not in outcome


@pytest.mark.parametrize("signature", ["", "not base64!", b64url(b"short"), b64url(bytes(64))])
def test_malformed_signatures_are_refused(signature: str) -> None:
    key = SigningKey.generate()
    desk = SigningDesk(key.public)
    thread, outcome = _signing(desk)
    pending = desk.pending()
    assert pending is not None
    with pytest.raises(SigningRefused) as refused:
        desk.answer(pending.request_id, pending.signing_input, signature)
    assert refused.value.code is SigningCode.SIGNATURE_INVALID
    thread.join(5)
    assert "token" not in outcome


def test_unknown_request_timeout_and_decline() -> None:
    key = SigningKey.generate()
    desk = SigningDesk(key.public, timeout=0.2)
    with pytest.raises(SigningRefused) as nothing:
        desk.answer("sig_x", "a.b", b64url(bytes(64)))
    assert nothing.value.code is SigningCode.NO_PENDING_SIGNATURE
    thread, outcome = _signing(desk)
    pending = desk.pending()
    assert pending is not None
    with pytest.raises(SigningRefused):
        desk.answer(**{**sign_presented(key, pending.to_json()), "request_id": "sig_other"})
    thread.join(5)
    assert "web.signing-timeout" in str(outcome["error"])
    desk = SigningDesk(key.public)
    thread, outcome = _signing(desk)
    pending = desk.pending()
    assert pending is not None
    desk.decline(pending.request_id)
    thread.join(5)
    assert "web.signing-declined" in str(outcome["error"])


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_other_payload_text_is_refused(text: str) -> None:
    key = SigningKey.generate()
    request = SigningRequest.make("sig_1", SignatureKind.IAC, key.public, "act-iac+jwt", PAYLOAD)
    if text == request.payload_text:
        return
    from trustcart.web.signing_desk import assemble

    shown = signing_input(request.header_text, text)
    with pytest.raises(SigningRefused):
        assemble(request, key.public, shown, b64url(key.sign(shown.encode())))


def test_only_a_public_ed25519_jwk_is_registered() -> None:
    key = SigningKey.generate()
    public = key.public.to_jwk()
    assert public_key_from_browser(public).kid == key.kid
    with pytest.raises(SigningRefused) as private:
        public_key_from_browser(key.to_private_jwk())
    assert private.value.code is SigningCode.BAD_KEY
    for bad in (
        {"kty": "EC", "crv": "P-256", "x": "a", "y": "b"},
        {"kty": "OKP", "crv": "X25519", "x": public["x"]},
        {"kty": "OKP", "crv": "Ed25519", "x": "@@"},
        {},
    ):
        with pytest.raises(SigningRefused):
            public_key_from_browser(bad)


def test_the_summary_is_read_from_the_signed_payload_in_both_languages() -> None:
    key = SigningKey.generate().public
    iac = {
        "delegation_mode": "SPECIFIED",
        "validity_start_time": "2026-12-02T00:00:00Z",
        "validity_end_time": "2026-12-02T01:00:00Z",
        "max_total_amount": "36.00",
        "currency": "CNY",
        "ext": {"commerce": {"allowed_merchants": ["m_1"], "allowed_categories": []}},
    }
    request = SigningRequest.make("s", SignatureKind.IAC, key, "act-iac+jwt", iac)
    en, zh = dict(summary_rows(request, "en")), dict(summary_rows(request, "zh"))
    assert en["At most in total"] == "36.00 CNY" == zh["总额上限"]
    assert en["Merchants"] == "m_1"
    assert en["Valid until"] == "2026-12-02T01:00:00Z"
    for kind in SignatureKind:
        rows = summary_rows(SigningRequest.make("s", kind, key, "t", {}), "zh")
        assert rows[0][0] == "内容"
