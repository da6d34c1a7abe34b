"""Trust anchors: a bundle whose keys are not anchored for the parties and roles they sign as is
refused, however well it agrees with itself; without anchors nothing passes as verified.

The forged case is the one measured on main (issue 10): keys that merchants really hold, each
trusted by the verifier *as a merchant*, playing the delegator, the status service, the
merchant, the payment provider and the log, for a 4,999 CNY purchase the person never made.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.helpers.clock import T0
from tests.helpers.evidence import GENUINE_IDS, ROLES, anchors_for, purchase_bundle
from trustcart.cli import commands as _commands  # noqa: F401  (registers every command)
from trustcart.cli.app import app
from trustcart.crypto.jcs import b64url_decode
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import SigningKey, jwks
from trustcart.trust.anchors import ANCHORS_FORMAT, Anchor, TrustAnchors, load_anchors_file
from trustcart.trust.errors import AnchorsError
from trustcart.trust.evidence import VerificationReport, verify_bundle

GENUINE = {role: SigningKey.generate() for role in ROLES}
MERCHANTS = {f"m_{i}": SigningKey.generate() for i in range(1, 10)}  # nine, as in the demo
BOB = SigningKey.generate()
# What the verifier trusts: every real party's key, bound to that party and role.
ANCHORS = TrustAnchors(
    (
        *anchors_for(GENUINE, GENUINE_IDS).anchors,
        *(Anchor(key.public, mid, ("merchant",)) for mid, key in MERCHANTS.items()),
        Anchor(BOB.public, "user:bob", ("delegator",)),
    )
)
FORGED_TOTAL = "4999.00"


def genuine() -> dict[str, Any]:
    return purchase_bundle(GENUINE, GENUINE_IDS, start=T0)


def _first_failure(report: VerificationReport) -> str:
    assert report.first_failure is not None, "nothing failed"
    return report.first_failure.name


def test_the_genuine_bundle_verifies_against_the_anchors() -> None:
    report = verify_bundle(genuine(), anchors=ANCHORS)
    assert report.ok, report.reason
    assert report.verdict == "verified"
    assert {(s.party_id, s.role) for s in report.signers} == {(GENUINE_IDS[r], r) for r in ROLES}
    assert all(s.anchored for s in report.signers)


# -- keys of trusted parties in the wrong roles ----------------------------------------------


def _merchant_keys_as(ids: dict[str, str]) -> dict[str, Any]:
    """Six merchant keys playing every role, the bundle naming the parties ``ids`` says."""
    keys = dict(zip(ROLES, MERCHANTS.values(), strict=False))
    return purchase_bundle(keys, ids, start=T0, total=FORGED_TOTAL, category="electronics/phone")


@pytest.mark.parametrize(
    "claimed",
    [
        pytest.param(GENUINE_IDS, id="claiming-the-real-parties"),
        pytest.param(
            dict(zip(ROLES, MERCHANTS, strict=False)),
            id="claiming-their-own-merchant-ids",
        ),
    ],
)
def test_merchant_keys_playing_every_role_are_refused(claimed: dict[str, str]) -> None:
    forged = _merchant_keys_as(claimed)
    alone = verify_bundle(forged)
    assert alone.consistent, alone.reason  # the forgery agrees with itself...
    assert alone.verdict == "consistent-only"
    assert not alone.ok
    report = verify_bundle(forged, anchors=ANCHORS)
    assert not report.ok
    assert report.verdict == "refused"
    assert _first_failure(report) == "trust-anchors"
    assert report.reason is not None
    assert re.search(r"anchored for m_\d as merchant", report.reason)
    # Keys by party: only the one in the merchant role could be what the bundle says it is.
    unanchored = {s.role for s in report.signers if not s.anchored}
    assert unanchored >= {"delegator", "status", "psp", "log", "agent"}


def test_the_forged_purchase_is_refused_by_the_command_line(tmp_path: Path) -> None:
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(_merchant_keys_as(dict(GENUINE_IDS))))
    anchors = tmp_path / "trusted-keys.json"
    anchors.write_text(json.dumps(ANCHORS.to_json()))
    runner = CliRunner()
    refused = runner.invoke(app, ["verify", str(forged), "--trusted-keys", str(anchors)])
    assert refused.exit_code == 1, refused.output
    assert "trust-anchors" in refused.stderr
    alone = runner.invoke(app, ["verify", str(forged)])
    assert alone.exit_code == 3, alone.output  # never 0 without anchors


@pytest.mark.parametrize("role", ["delegator", "status", "merchant", "psp", "log", "agent"])
def test_one_merchant_key_in_any_other_role_is_refused(role: str) -> None:
    keys = dict(GENUINE)
    keys[role] = MERCHANTS["m_1"]
    ids = dict(GENUINE_IDS)
    report = verify_bundle(purchase_bundle(keys, ids, start=T0), anchors=ANCHORS)
    assert _first_failure(report) == "trust-anchors", report.reason
    ids[role] = "m_1"  # naming the key's real owner instead: the role is still not its own
    report = verify_bundle(purchase_bundle(keys, ids, start=T0), anchors=ANCHORS)
    if role == "merchant":  # m_1 really is a merchant: its own cart, with its own key, is fine
        assert report.ok, report.reason
    else:
        assert _first_failure(report) == "trust-anchors", report.reason


def _resigned(token: str, key: SigningKey, **changes: Any) -> str:
    header, payload, _ = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims.update(changes)
    return sign_compact(claims, key, typ=json.loads(b64url_decode(header))["typ"])


def test_a_merchant_key_signing_another_merchants_cart_is_refused() -> None:
    keys = {**GENUINE, "merchant": MERCHANTS["m_2"]}
    # Listed as m_tea (whose cart it signs): the anchor says the key is m_2's.
    report = verify_bundle(purchase_bundle(keys, GENUINE_IDS, start=T0), anchors=ANCHORS)
    assert _first_failure(report) == "trust-anchors"
    assert report.reason is not None
    assert "m_2" in report.reason
    # Listed as m_2, which it is: then a cart naming m_tea is not m_2's to sign.
    bundle = purchase_bundle(keys, {**GENUINE_IDS, "merchant": "m_2"}, start=T0)
    bundle["cart"] = _resigned(bundle["cart"], MERCHANTS["m_2"], merchant_id="m_tea")
    report = verify_bundle(bundle, anchors=ANCHORS)
    assert _first_failure(report) == "cart-signature"
    assert report.reason is not None
    assert "m_tea" in report.reason


def test_a_delegator_key_that_is_not_the_persons_is_refused() -> None:
    keys = {**GENUINE, "delegator": BOB}
    # Bob's key signs an IAC that says it is Alice's, listed as Alice: not Alice's key.
    report = verify_bundle(purchase_bundle(keys, GENUINE_IDS, start=T0), anchors=ANCHORS)
    assert _first_failure(report) == "trust-anchors"
    assert report.reason is not None
    assert "user:bob" in report.reason
    # Listed as Bob, which it is: an IAC in Alice's name is still not Bob's to sign.
    bundle = purchase_bundle(keys, {**GENUINE_IDS, "delegator": "user:bob"}, start=T0)
    bundle["iac"] = _resigned(bundle["iac"], BOB, delegator_identity="user:alice")
    report = verify_bundle(bundle, anchors=ANCHORS)
    assert _first_failure(report) == "iac-signature"
    assert report.reason is not None
    assert "delegator_identity" in report.reason


def test_brand_new_keys_for_every_role_never_pass() -> None:
    fresh = {role: SigningKey.generate() for role in ROLES}
    bundle = purchase_bundle(fresh, GENUINE_IDS, start=T0, total=FORGED_TOTAL)
    alone = verify_bundle(bundle)
    assert alone.consistent
    assert not alone.ok
    assert alone.verdict == "consistent-only"
    report = verify_bundle(bundle, anchors=ANCHORS)
    assert _first_failure(report) == "trust-anchors"
    assert report.reason is not None
    assert "not anchored" in report.reason


# -- validity periods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "window", "check"),
    [
        ("psp", (None, T0 + timedelta(minutes=4)), "receipt-signature"),  # ended before paid_at
        ("merchant", (T0 + timedelta(minutes=3, seconds=1), None), "cart-signature"),
        ("delegator", (T0 + timedelta(seconds=1), None), "iac-signature"),
        ("status", (None, T0 + timedelta(minutes=4)), "status-signature"),
        ("log", (None, T0 + timedelta(minutes=9)), "tree-head"),
        ("agent", (T0 + timedelta(seconds=1), None), "events"),
    ],
)
def test_a_key_used_outside_its_anchored_validity_is_refused(
    role: str, window: tuple[Any, Any], check: str
) -> None:
    anchors = TrustAnchors(
        tuple(
            Anchor(a.key, a.party_id, a.roles, *window) if a.kid == GENUINE[role].kid else a
            for a in ANCHORS.anchors
        )
    )
    report = verify_bundle(genuine(), anchors=anchors)
    assert _first_failure(report) == check, report.reason
    assert report.reason is not None
    assert "not valid at" in report.reason
    inside = TrustAnchors(
        tuple(
            Anchor(a.key, a.party_id, a.roles, T0, T0 + timedelta(days=1))
            if a.kid == GENUINE[role].kid
            else a
            for a in ANCHORS.anchors
        )
    )
    assert verify_bundle(genuine(), anchors=inside).ok


# -- the anchors file ----------------------------------------------------------------------------


def test_anchors_round_trip_through_their_file(tmp_path: Path) -> None:
    path = tmp_path / "anchors.json"
    dated = TrustAnchors(
        (Anchor(BOB.public, "user:bob", ("delegator",), T0, T0 + timedelta(days=365)),)
    )
    path.write_text(json.dumps(dated.to_json()))
    loaded = load_anchors_file(path)
    assert loaded == dated
    assert loaded.to_json()["format"] == ANCHORS_FORMAT
    entry = loaded.to_json()["keys"][0]
    assert (entry["party_id"], entry["roles"], entry["not_before"]) == (
        "user:bob",
        ["delegator"],
        "2026-11-29T08:00:00Z",
    )


def _entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {**BOB.public.to_jwk(), "party_id": "user:bob", "roles": ["delegator"]}
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(jwks([BOB.public]), id="plain-jwks"),
        pytest.param({"format": ANCHORS_FORMAT, "keys": [BOB.public.to_jwk()]}, id="bare-key"),
        pytest.param({"format": "trustcart-trust-anchors/9", "keys": []}, id="other-format"),
        pytest.param({"format": ANCHORS_FORMAT, "keys": "x"}, id="keys-not-a-list"),
        pytest.param([], id="not-an-object"),
        pytest.param({"format": ANCHORS_FORMAT, "keys": [_entry(roles=[])]}, id="no-roles"),
        pytest.param(
            {"format": ANCHORS_FORMAT, "keys": [_entry(roles=["owner"])]}, id="unknown-role"
        ),
        pytest.param(
            {"format": ANCHORS_FORMAT, "keys": [_entry(roles=["psp", "psp"])]}, id="role-twice"
        ),
        pytest.param({"format": ANCHORS_FORMAT, "keys": [_entry(party_id="")]}, id="no-party"),
        pytest.param({"format": ANCHORS_FORMAT, "keys": [_entry(kid="other")]}, id="wrong-kid"),
        pytest.param({"format": ANCHORS_FORMAT, "keys": [_entry(kid=None)]}, id="no-kid"),
        pytest.param({"format": ANCHORS_FORMAT, "keys": [_entry(x="!")]}, id="bad-key"),
        pytest.param(
            {"format": ANCHORS_FORMAT, "keys": [_entry(not_before="yesterday")]}, id="bad-time"
        ),
        pytest.param(
            {
                "format": ANCHORS_FORMAT,
                "keys": [
                    _entry(not_before="2026-12-01T00:00:00Z", not_after="2026-11-01T00:00:00Z")
                ],
            },
            id="window-reversed",
        ),
        pytest.param({"format": ANCHORS_FORMAT, "keys": [_entry(), _entry()]}, id="kid-twice"),
    ],
)
def test_documents_that_are_not_anchors_are_refused(document: Any, tmp_path: Path) -> None:
    with pytest.raises(AnchorsError):
        TrustAnchors.from_json(document)
    path = tmp_path / "a.json"
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(
        app, ["verify", str(tmp_path / "a.json"), "--trusted-keys", str(path)]
    )
    assert result.exit_code == 2


def test_a_plain_jwks_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(k.public for k in GENUINE.values())))
    with pytest.raises(AnchorsError, match="plain JWKS"):
        load_anchors_file(path)
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps(genuine()))
    result = CliRunner().invoke(app, ["verify", str(bundle), "--trusted-keys", str(path)])
    assert result.exit_code == 2
    assert "plain JWKS" in result.stderr


def test_verify_refuses_a_bare_key_mapping_as_anchors() -> None:
    with pytest.raises(TypeError):
        verify_bundle(genuine(), anchors={k.kid: k.public for k in GENUINE.values()})  # type: ignore[arg-type]
