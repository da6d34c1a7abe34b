"""Anchors (TSD-ATT-OCA) and their check in the evidence verifier (TSD-ATT-SVF step 5)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.bundles import ANCHORS, KEYS, valid_bundle
from tests.helpers.clock import T0
from tests.helpers.witness import (
    WITNESS_ANCHORS,
    WITNESS_KEY,
    anchor_entry,
    anchored,
)
from trustcart.core.clock import format_instant
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.jcs import b64url, b64url_decode, canonicalize
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import SigningKey
from trustcart.trust.chain_anchor import (
    GENESIS_CHAIN_HASH,
    AnchorClaims,
    anchor_for,
    next_chain_hash,
    sign_anchor,
    tree_head_hash,
    verify_anchor,
)
from trustcart.trust.errors import InvalidTreeHead
from trustcart.trust.evidence import verify_bundle
from trustcart.trust.merkle import EMPTY_ROOT
from trustcart.trust.svf import SvfResult
from trustcart.trust.treehead import TreeHead

LOG = KEYS["log"]


def _head(size: int = 3, root: bytes = b"\x07" * 32) -> TreeHead:
    return TreeHead("log:trustcart", size, root, format_instant(T0))


def _anchor_check(report: Any) -> Any:
    return next(c for c in report.checks if c.name == "witness-anchor")


# -- the anchor itself -------------------------------------------------------------------------


def test_known_answer_hashes_follow_the_documented_formulas() -> None:
    root = bytes(range(32))
    body = b'{"log_id":"log:trustcart","root_hash":"' + b64url(root).encode() + b'","tree_size":5}'
    expected_payload = b64url(hashlib.sha256(body).digest())
    assert tree_head_hash("log:trustcart", 5, root) == expected_payload
    expected_chain = b64url(hashlib.sha256(bytes(32) + hashlib.sha256(body).digest()).digest())
    assert next_chain_hash(GENESIS_CHAIN_HASH, expected_payload) == expected_chain
    claims = anchor_for(_head(5, root), None, issued_at=T0)
    assert claims.chain_hash == expected_chain
    assert claims.iat == int(T0.timestamp())


def test_anchor_payload_carries_acts_fields() -> None:
    token = sign_anchor(anchor_for(_head(), None, issued_at=T0), LOG)
    payload = peek_payload(token)
    assert set(payload) == {
        "anchor_id",
        "version",
        "event_type",
        "event_time",
        "iat",
        "submitter",
        "payload_hash",
        "hash_alg",
        "privacy_channel",
        "ext",
    }
    assert payload["anchor_id"] == "log:trustcart/3"
    assert payload["hash_alg"] == "sha-256"
    header = b64url_decode(token.split(".")[0])
    assert b'"typ":"act-anchor+jwt"' in header
    assert LOG.kid.encode() in header


def test_anchor_signed_by_another_key_is_refused() -> None:
    token = sign_anchor(anchor_for(_head(), None, issued_at=T0), SigningKey.generate())
    with pytest.raises(InvalidSignature):
        verify_anchor(token, {LOG.kid: LOG.public})


@pytest.mark.parametrize(
    "change",
    [
        {"anchor_id": "log:trustcart/4"},
        {"tree_size": -1},
        {"payload_hash": "short"},
        {"event_time": "yesterday"},
        {"submitter": ""},
    ],
)
def test_malformed_anchor_is_refused_when_built(change: dict[str, Any]) -> None:
    claims = anchor_for(_head(), None, issued_at=T0)
    with pytest.raises(InvalidTreeHead):
        dataclasses.replace(claims, **change)


def test_unknown_payload_fields_are_refused() -> None:
    payload = anchor_for(_head(), None, issued_at=T0).to_json()
    with pytest.raises(InvalidTreeHead):
        AnchorClaims.from_json({**payload, "extra": 1})
    with pytest.raises(InvalidTreeHead):
        AnchorClaims.from_json({**payload, "hash_alg": "md5"})


@given(st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=8, unique=True))
def test_chained_anchors_link_and_a_dropped_one_breaks_the_chain(sizes: list[int]) -> None:
    chain: list[AnchorClaims] = []
    for size in sorted(sizes):
        root = hashlib.sha256(canonicalize(size)).digest()
        chain.append(anchor_for(_head(size, root), chain[-1] if chain else None, issued_at=T0))
    assert chain[0].links_to(None)
    assert all(b.links_to(a) for a, b in itertools.pairwise(chain))
    if len(chain) >= 3:
        assert not chain[2].links_to(chain[0])  # the witness dropped chain[1]


# -- the verifier ------------------------------------------------------------------------------


def test_anchored_bundle_verifies_and_reports_verified() -> None:
    report = verify_bundle(anchored(valid_bundle()), anchors=WITNESS_ANCHORS)
    assert report.ok, report.reason
    assert report.svf is SvfResult.VERIFIED
    assert "height 1" in _anchor_check(report).detail
    assert report.to_json()["svf"]["steps"] == [
        {"step": step, "result": "PASS"}
        for step in ("public-key", "payload-hash", "signatures", "anchor")
    ]


def test_old_bundle_without_anchor_still_verifies_reported_not_anchored() -> None:
    report = verify_bundle(valid_bundle(), anchors=ANCHORS)
    assert report.ok, report.reason
    assert _anchor_check(report).detail.startswith("not anchored")
    assert report.svf is SvfResult.ANCHOR_NOT_FOUND


def test_require_anchor_refuses_a_bundle_without_anchor() -> None:
    report = verify_bundle(valid_bundle(), anchors=ANCHORS, require_anchor=True)
    assert not report.ok
    assert report.first_failure is not None
    assert report.first_failure.name == "witness-anchor"
    assert report.svf is SvfResult.ANCHOR_NOT_FOUND


def _svf(bundle: dict[str, Any], anchors: Any = WITNESS_ANCHORS) -> SvfResult:
    report = verify_bundle(bundle, anchors=anchors)
    assert not report.ok, "tampered anchor verified"
    return report.svf


def test_anchor_of_another_root_is_a_chain_hash_mismatch() -> None:
    def other_root(claims: AnchorClaims) -> AnchorClaims:
        head = _head(claims.tree_size, b"\x01" * 32)
        previous = dataclasses.replace(claims, tree_size=0, anchor_id="log:trustcart/0")
        return dataclasses.replace(
            anchor_for(head, None, issued_at=T0),
            prev_anchor_id=previous.anchor_id,
            prev_chain_hash=claims.prev_chain_hash,
            chain_hash=next_chain_hash(
                claims.prev_chain_hash,
                tree_head_hash("log:trustcart", head.tree_size, head.root_hash),
            ),
        )

    assert _svf(anchored(valid_bundle(), covering=other_root)) is SvfResult.CHAIN_HASH_MISMATCH


def test_broken_chain_is_a_chain_hash_mismatch() -> None:
    def unlinked(claims: AnchorClaims) -> AnchorClaims:
        fake_prev = b64url(b"\x09" * 32)
        return dataclasses.replace(
            claims,
            prev_chain_hash=fake_prev,
            chain_hash=next_chain_hash(fake_prev, claims.payload_hash),
        )

    assert _svf(anchored(valid_bundle(), covering=unlinked)) is SvfResult.CHAIN_HASH_MISMATCH


def test_rewritten_chain_hash_is_a_chain_hash_mismatch() -> None:
    def rewritten(claims: AnchorClaims) -> AnchorClaims:
        return dataclasses.replace(claims, chain_hash=b64url(b"\x05" * 32))

    assert _svf(anchored(valid_bundle(), covering=rewritten)) is SvfResult.CHAIN_HASH_MISMATCH


def test_tampered_anchor_signature_is_signature_invalid() -> None:
    bundle = anchored(valid_bundle())
    token = bundle["anchors"][1]["anchor"]
    head, payload, sig = token.split(".")
    bundle["anchors"][1]["anchor"] = f"{head}.{payload}.{sig[:-4]}AAAA"
    assert _svf(bundle) is SvfResult.SIGNATURE_INVALID


def test_anchor_signed_by_a_non_log_key_is_signature_invalid() -> None:
    bundle = anchored(valid_bundle())
    claims = AnchorClaims.from_json(peek_payload(bundle["anchors"][1]["anchor"]))
    bundle["anchors"][1] = anchor_entry(claims, 1, signer=KEYS["merchant"])
    assert _svf(bundle) is SvfResult.SIGNATURE_INVALID


def test_receipt_for_another_anchor_is_anchor_not_found() -> None:
    bundle = anchored(valid_bundle())
    bundle["anchors"][1]["receipt"] = bundle["anchors"][0]["receipt"]
    assert _svf(bundle) is SvfResult.ANCHOR_NOT_FOUND


def test_witness_key_not_anchored_is_public_key_unavailable() -> None:
    assert _svf(anchored(valid_bundle()), anchors=ANCHORS) is SvfResult.PUBLIC_KEY_UNAVAILABLE


def test_witness_key_anchored_in_another_role_is_public_key_unavailable() -> None:
    wrong = type(WITNESS_ANCHORS)(
        (
            *ANCHORS.anchors,
            dataclasses.replace(WITNESS_ANCHORS.anchors[-1], roles=("log",)),
        )
    )
    assert _svf(anchored(valid_bundle()), anchors=wrong) is SvfResult.PUBLIC_KEY_UNAVAILABLE


def test_another_key_in_the_witness_role_is_refused() -> None:
    impostor = SigningKey.generate()
    bundle = anchored(valid_bundle(), witness_key=impostor)
    assert _svf(bundle) is SvfResult.PUBLIC_KEY_UNAVAILABLE  # not the anchored witness key
    report = verify_bundle(bundle)  # no anchors: the impostor did not sign the receipts
    assert _anchor_check(report).code == "SIGNATURE_INVALID"


def test_no_witness_key_in_the_bundle_is_public_key_unavailable() -> None:
    bundle = anchored(valid_bundle())
    kid = WITNESS_KEY.kid
    bundle["keys"]["jwks"]["keys"] = [k for k in bundle["keys"]["jwks"]["keys"] if k["kid"] != kid]
    del bundle["keys"]["roles"][kid]
    assert _svf(bundle, anchors=ANCHORS) is SvfResult.PUBLIC_KEY_UNAVAILABLE


def test_svf_reports_the_first_step_in_the_specs_order() -> None:
    bundle = anchored(valid_bundle())
    bundle["anchors"][1]["receipt"] = bundle["anchors"][0]["receipt"]  # anchor step fails
    token = bundle["tree_head"]
    bundle["tree_head"] = token[:-4] + "AAAA"  # and a signature fails
    report = verify_bundle(bundle, anchors=WITNESS_ANCHORS)
    steps = {s["step"]: s["result"] for s in report.to_json()["svf"]["steps"]}
    assert steps["signatures"] == "SIGNATURE_INVALID"
    assert report.svf is SvfResult.SIGNATURE_INVALID


def test_more_than_two_anchors_or_unknown_members_fail_closed() -> None:
    bundle = anchored(valid_bundle())
    three = copy.deepcopy(bundle)
    three["anchors"].append(three["anchors"][0])
    assert not verify_bundle(three, anchors=WITNESS_ANCHORS).ok
    extra = copy.deepcopy(bundle)
    extra["anchors"][0]["note"] = "x"
    assert not verify_bundle(extra, anchors=WITNESS_ANCHORS).ok


def test_empty_tree_anchor_alone_cannot_cover_a_larger_head() -> None:
    bundle = anchored(valid_bundle())
    bundle["anchors"] = bundle["anchors"][:1]
    assert _svf(bundle) is SvfResult.CHAIN_HASH_MISMATCH
    assert EMPTY_ROOT  # the first anchor is of the empty tree


_ANCHORED = anchored(valid_bundle())


@given(
    entry=st.integers(min_value=0, max_value=1),
    part=st.sampled_from(["anchor", "receipt"]),
    segment=st.integers(min_value=0, max_value=2),
    position=st.integers(min_value=0, max_value=10_000),
    char=st.sampled_from("AQgw_-"),
)
def test_any_change_to_an_anchor_or_receipt_is_refused(
    entry: int, part: str, segment: int, position: int, char: str
) -> None:
    bundle = copy.deepcopy(_ANCHORED)
    pieces = bundle["anchors"][entry][part].split(".")
    text = pieces[segment]
    # Not the last character: its low bits may be base64url padding, which changes no byte.
    at = position % (len(text) - 1)
    if text[at] == char:
        return  # not a change
    pieces[segment] = text[:at] + char + text[at + 1 :]
    bundle["anchors"][entry][part] = ".".join(pieces)
    report = verify_bundle(bundle, anchors=WITNESS_ANCHORS)
    assert not report.ok
    assert report.svf is not SvfResult.VERIFIED
