"""Evidence bundles: a complete valid purchase verifies; every tampering we can think of fails.

The bundle is built here from scratch, with freshly generated keys for every party and
payloads written by hand after docs/wire-formats.md, so these tests do not lean on the
delegation, commerce or payments packages: they pin the wire format itself.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401  (registers every command)
from tests.helpers.bundles import (
    ANCHORS,
    IDS,
    KEYS,
    SIGNATURE_CHECK,
    SIGNER,
    TYPS,
    Mutator,
    Payload,
    _isr,
    assert_fails,
    at,
    build_bundle,
    cny,
    valid_bundle,
)
from trustcart.cli.app import app
from trustcart.crypto.jcs import b64url, b64url_decode, canonicalize, jcs_digest
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import SigningKey, jwks
from trustcart.trust.anchors import TrustAnchors
from trustcart.trust.events import Chain, EventType
from trustcart.trust.evidence import (
    verify_bundle,
    verify_bundle_file,
)
from trustcart.trust.treehead import TreeHead, sign_tree_head


def test_valid_l1_bundle_verifies() -> None:
    report = verify_bundle(valid_bundle(), anchors=ANCHORS)
    assert report.ok, report.reason
    assert report.reason is None
    assert report.verdict == "verified"
    assert [c.name for c in report.checks][:3] == ["format", "keys", "trust-anchors"]
    assert all(c.passed for c in report.checks)
    assert {(s.party_id, s.role, s.anchored) for s in report.signers} == {
        (IDS[r], r, True) for r in KEYS
    }


def test_without_anchors_a_valid_bundle_is_only_consistent() -> None:
    report = verify_bundle(valid_bundle())
    assert report.consistent
    assert not report.ok
    assert report.verdict == "consistent-only"
    assert report.reason is not None
    assert "internally consistent" in report.reason
    assert "trust-anchors" not in [c.name for c in report.checks]
    assert not any(s.anchored for s in report.signers)


def test_valid_l2_bundle_without_approval_verifies() -> None:
    bundle = build_bundle(mode="L2")
    assert bundle["approval"] is None
    report = verify_bundle(bundle, anchors=ANCHORS)
    assert report.ok, report.reason


def test_bundle_shape_follows_the_wire_format() -> None:
    bundle = valid_bundle()
    assert set(bundle) == {
        "format",
        "kind",
        "created_at",
        "keys",
        "isr",
        "iac",
        "status",
        "cart",
        "approval",
        "receipt",
        "events",
        "tree_head",
    }
    assert bundle["format"] == "trustcart-evidence/1"
    assert {v["role"] for v in bundle["keys"]["roles"].values()} == set(KEYS)
    assert [set(e) for e in bundle["events"]] == [{"record", "leaf_index", "inclusion_proof"}] * 4


def test_trust_anchors_pin_the_bundle_keys() -> None:
    bundle = valid_bundle()
    assert verify_bundle(bundle, anchors=ANCHORS).ok
    partial = TrustAnchors(tuple(a for a in ANCHORS.anchors if a.kid != KEYS["psp"].kid))
    report = assert_fails(bundle, anchors=partial)
    assert report.first_failure is not None
    assert report.first_failure.name == "trust-anchors"


def test_substituted_delegator_key_fails_against_trust_anchors() -> None:
    # An attacker who swaps in their own "delegator" key and re-signs everything the
    # delegator signed passes the bundle's self-consistency, but not a trusted key set.
    bundle = valid_bundle()
    attacker = SigningKey.generate()
    real = KEYS["delegator"]
    for name in ("iac", "approval"):
        _, payload, _ = bundle[name].split(".")
        bundle[name] = sign_compact(json.loads(b64url_decode(payload)), attacker, typ=TYPS[name])
    bundle["keys"]["jwks"]["keys"] = [
        k for k in bundle["keys"]["jwks"]["keys"] if k["kid"] != real.kid
    ] + [attacker.public.to_jwk()]
    bundle["keys"]["roles"][attacker.kid] = bundle["keys"]["roles"].pop(real.kid)
    assert assert_fails(bundle).first_failure.name == "trust-anchors"  # type: ignore[union-attr]


# -- every signed value, changed without re-signing --------------------------------------------


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        for key in value:
            yield from _leaves(value[key], (*path, key))
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    else:
        yield path


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "0"
    if isinstance(value, list):
        return ["x"]
    if isinstance(value, dict):
        return {"x": "x"}
    return "x"


def _jws_locations(bundle: Payload) -> list[tuple[Any, ...]]:
    places: list[tuple[Any, ...]] = [(name,) for name in SIGNER if bundle[name] is not None]
    places += [("events", i, "record") for i in range(len(bundle["events"]))]
    return places


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        obj = obj[step]
    return obj


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        obj = obj[step]
    obj[path[-1]] = value


def _signed_leaf_cases() -> list[Any]:
    bundle = valid_bundle()
    cases = []
    for place in _jws_locations(bundle):
        payload = json.loads(b64url_decode(_get(bundle, place).split(".")[1]))
        for leaf in _leaves(payload):
            label = "/".join(str(p) for p in (*place, *leaf))
            cases.append(pytest.param(place, leaf, id=label))
    return cases


@pytest.mark.parametrize(("place", "leaf"), _signed_leaf_cases())
def test_changing_any_signed_value_without_resigning_fails(
    place: tuple[Any, ...], leaf: tuple[Any, ...]
) -> None:
    bundle = valid_bundle()
    header, payload_b64, signature = _get(bundle, place).split(".")
    payload = json.loads(b64url_decode(payload_b64))
    if leaf:
        _set(payload, leaf, _changed(_get(payload, leaf)))
    else:
        payload = {"x": "x"}
    _set(bundle, place, f"{header}.{b64url(canonicalize(payload))}.{signature}")
    report = assert_fails(bundle)
    assert report.first_failure is not None
    assert report.first_failure.name == SIGNATURE_CHECK[place[0]]


@pytest.mark.parametrize(
    "place", [pytest.param(p, id="/".join(map(str, p))) for p in _jws_locations(valid_bundle())]
)
@pytest.mark.parametrize("also_list_key", [False, True], ids=["key-unlisted", "key-listed"])
def test_resigning_with_a_key_outside_the_roles_fails(
    place: tuple[Any, ...], also_list_key: bool
) -> None:
    bundle = valid_bundle()
    attacker = SigningKey.generate()
    _, payload_b64, _ = _get(bundle, place).split(".")
    payload = json.loads(b64url_decode(payload_b64))
    typ = TYPS[place[-1]] if place[-1] in TYPS else TYPS["record"]
    _set(bundle, place, sign_compact(payload, attacker, typ=typ))
    if also_list_key:
        # Listing the key is not enough: its role is taken, and one role has one key.
        role = SIGNER.get(place[0], "merchant")
        bundle["keys"]["jwks"]["keys"].append(attacker.public.to_jwk())
        bundle["keys"]["roles"][attacker.kid] = {"role": role, "id": "attacker"}
    assert_fails(bundle)


def _isr_leaf_cases() -> list[Any]:
    return [pytest.param(leaf, id="/".join(map(str, leaf))) for leaf in _leaves(_isr())]


@pytest.mark.parametrize("leaf", _isr_leaf_cases())
def test_changing_the_isr_fails(leaf: tuple[Any, ...]) -> None:
    bundle = valid_bundle()
    _set(bundle["isr"], leaf, _changed(_get(bundle["isr"], leaf)))
    report = assert_fails(bundle)
    assert report.reason is not None
    assert report.reason.startswith(("iac-isr-digest", "isr"))


# -- the unsigned parts ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(valid_bundle()))
def test_removing_any_top_level_field_fails(name: str) -> None:
    bundle = valid_bundle()
    del bundle[name]
    assert_fails(bundle)


@pytest.mark.parametrize("index", range(4))
def test_removing_any_event_fails(index: int) -> None:
    bundle = valid_bundle()
    del bundle["events"][index]
    assert_fails(bundle)


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("name", ["record", "leaf_index", "inclusion_proof"])
def test_removing_an_event_field_fails(index: int, name: str) -> None:
    bundle = valid_bundle()
    del bundle["events"][index][name]
    assert_fails(bundle)


def test_duplicated_event_fails() -> None:
    bundle = valid_bundle()
    bundle["events"].append(copy.deepcopy(bundle["events"][0]))
    assert_fails(bundle)


@pytest.mark.parametrize(("a", "b"), [(0, 1), (1, 2), (2, 3), (0, 3)])
def test_swapping_proofs_or_indexes_fails(a: int, b: int) -> None:
    events = valid_bundle()["events"]
    for field in ("inclusion_proof", "leaf_index"):
        bundle = valid_bundle()
        bundle["events"][a][field], bundle["events"][b][field] = events[b][field], events[a][field]
        assert_fails(bundle)


@pytest.mark.parametrize("index", range(4))
def test_tampered_inclusion_proofs_fail(index: int) -> None:
    proof = valid_bundle()["events"][index]["inclusion_proof"]
    variants = [
        proof[:-1],
        [*proof, proof[0]],
        [proof[-1], *proof[:-1]],
        "not-a-list",
        [b64url(b"\x00" * 32)] * len(proof),
        [*proof[:-1], proof[-1] + "="],
    ]
    for variant in variants:
        bundle = valid_bundle()
        bundle["events"][index]["inclusion_proof"] = variant
        assert_fails(bundle)
    for delta in (-1, 1, 4, True):
        bundle = valid_bundle()
        bundle["events"][index]["leaf_index"] = (
            True if delta is True else bundle["events"][index]["leaf_index"] + delta
        )
        assert_fails(bundle)


@pytest.mark.parametrize("size", [0, 3, 5, 8])
def test_tree_head_of_another_size_fails_even_when_signed_by_the_log(size: int) -> None:
    bundle = valid_bundle()
    header = json.loads(b64url_decode(bundle["tree_head"].split(".")[1]))
    head = TreeHead(header["log_id"], size, b64url_decode(header["root_hash"]), header["timestamp"])
    bundle["tree_head"] = sign_tree_head(head, KEYS["log"])
    assert_fails(bundle)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda b: b.update(format="trustcart-evidence/2"), id="format"),
        pytest.param(lambda b: b.update(kind="refund"), id="kind"),
        pytest.param(lambda b: b.update(extra="x"), id="unknown-field"),
        pytest.param(lambda b: b.update(approval=None), id="approval-dropped-in-L1"),
        pytest.param(lambda b: b.update(events=[]), id="no-events"),
        pytest.param(lambda b: b.update(iac=b["cart"]), id="cart-as-iac"),
        pytest.param(lambda b: b.update(receipt=b["approval"]), id="approval-as-receipt"),
        pytest.param(lambda b: b.update(status=b["iac"]), id="iac-as-status"),
        pytest.param(lambda b: b["keys"]["roles"].popitem(), id="role-removed"),
        pytest.param(lambda b: b["keys"]["jwks"]["keys"].pop(), id="jwk-removed"),
        pytest.param(lambda b: b["keys"]["jwks"]["keys"][0].update(kid="other"), id="bad-kid"),
        pytest.param(lambda b: b["keys"]["jwks"]["keys"][0].pop("kid"), id="no-kid"),
        pytest.param(
            lambda b: next(iter(b["keys"]["roles"].values())).update(role="psp"), id="role-swapped"
        ),
        pytest.param(
            lambda b: next(iter(b["keys"]["roles"].values())).update(id="user:bob"),
            id="party-renamed",
        ),
    ],
)
def test_structural_tampering_fails(mutate: Callable[[Payload], Any]) -> None:
    bundle = valid_bundle()
    mutate(bundle)
    assert_fails(bundle)


@pytest.mark.parametrize("garbage", [None, [], "bundle", 42, {"format": "trustcart-evidence/1"}])
def test_garbage_never_raises(garbage: Any) -> None:
    assert_fails(garbage)


# -- payloads the right parties signed, but which do not add up -----------------------------------


def _set_path(path: str, value: Any) -> Mutator:
    def mutate(payload: Payload) -> None:
        _set(payload, tuple(int(p) if p.isdigit() else p for p in path.split(".")), value)

    return mutate


# case: (the check that must fail first, the signing party, the field it signed, the value)
SEMANTIC_CASES: dict[str, tuple[str, str, str, Any]] = {
    "status-revoked": ("status-active", "status", "status", "Revoked"),
    "status-suspended": ("status-active", "status", "status", "Suspended"),
    "status-other-delegation": ("status-active", "status", "delegation_id", "dlg_2"),
    "paid-after-status-valid-until": ("status-active", "status", "valid_until", at(4.25)),
    "status-checked-after-payment": ("status-active", "status", "checked_at", at(4.75)),
    "paid-after-iac-validity": ("iac-validity", "iac", "validity_end_time", at(4)),
    "paid-before-iac-validity": ("iac-validity", "iac", "validity_start_time", at(4.6)),
    "amount-over-max-single": (
        "amount-within-limits",
        "iac",
        "ext.commerce.max_single_amount",
        "18.99",
    ),
    "amount-under-min-single": (
        "amount-within-limits",
        "iac",
        "ext.commerce.min_single_amount",
        "20.00",
    ),
    "spent-over-max-total": ("amount-within-limits", "receipt", "budget.spent", cny("81.00")),
    "spent-below-amount": ("amount-within-limits", "receipt", "budget.spent", cny("10.00")),
    "remaining-wrong": ("amount-within-limits", "receipt", "budget.remaining", cny("70.00")),
    "max-total-below-spend": ("amount-within-limits", "iac", "max_total_amount", "18.00"),
    "quantity-over-max": ("cart-items", "iac", "ext.commerce.max_total_quantity", 1),
    "unknown-commerce-constraint": ("iac-signature", "iac", "ext.commerce.max_per_day", "1"),
    "merchant-forbidden": ("cart-merchant", "iac", "ext.commerce.forbidden_merchants", ["m_tea"]),
    "merchant-not-allowed": ("cart-merchant", "iac", "ext.commerce.allowed_merchants", ["m_other"]),
    "category-not-allowed": ("cart-items", "iac", "ext.commerce.allowed_categories", ["food"]),
    "category-forbidden": ("cart-items", "iac", "ext.commerce.forbidden_categories", ["drinks"]),
    "payment-method-not-allowed": ("cart-binding", "cart", "payment.method_id", "card"),
    "cart-other-delegation": ("cart-binding", "cart", "delegation_id", "dlg_2"),
    "cart-other-agent": ("cart-binding", "cart", "agent_id", "agent:other"),
    "cart-merchant-not-signer": ("cart-signature", "cart", "merchant_id", "m_other"),
    "cart-line-total-wrong": ("cart-items", "cart", "items.0.line_total", cny("1.00")),
    "cart-total-wrong": ("cart-items", "cart", "total", cny("1.00")),
    "cart-currency-other": (
        "cart-items",
        "cart",
        "shipping",
        {"amount": "3.00", "currency": "USD"},
    ),
    "receipt-amount-differs": ("receipt-matches-cart", "receipt", "amount", cny("9.00")),
    "receipt-cart-digest": (
        "receipt-matches-cart",
        "receipt",
        "cart_digest",
        jcs_digest({"x": "1"}),
    ),
    "receipt-other-order": ("receipt-matches-cart", "receipt", "out_trade_no", "ord_2"),
    "receipt-other-merchant": ("receipt-matches-cart", "receipt", "merchant_id", "m_other"),
    "receipt-not-success": ("receipt-matches-cart", "receipt", "status", "FAILED"),
    "receipt-unknown-mode": ("approval", "receipt", "mode", "L4"),
    "approval-other-amount": ("approval", "approval", "amount", cny("9.00")),
    "approval-other-cart": ("approval", "approval", "cart_digest", jcs_digest({"x": "1"})),
    "approval-after-payment": ("approval", "approval", "approved_at", at(5)),
    "iac-isr-digest": ("iac-isr-digest", "iac", "source_isr_digest", jcs_digest({"x": "1"})),
    "iac-other-delegator": ("iac-signature", "iac", "delegator_identity", "user:bob"),
    "iac-window-reversed": ("iac-signature", "iac", "validity_end_time", "2026-11-28T00:00:00Z"),
}


@pytest.mark.parametrize("case", list(SEMANTIC_CASES))
def test_properly_signed_but_unauthorized_purchases_fail(case: str) -> None:
    check, party, path, value = SEMANTIC_CASES[case]
    mutators: dict[str, Any] = {party: _set_path(path, value)}
    report = assert_fails(build_bundle(**mutators))
    assert report.first_failure is not None
    assert report.first_failure.name == check, report.reason


def test_l2_with_a_bad_approval_fails() -> None:
    bundle = build_bundle(mode="L2")
    bundle["approval"] = valid_bundle()["approval"]  # signed, but for an L1 receipt's fields
    assert verify_bundle(bundle, anchors=ANCHORS).ok  # the same cart and amount: fine
    bundle["approval"] = bundle["iac"]
    assert_fails(bundle)


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(
            (EventType.DELEGATION_REVOKED, Chain("int_1", "dlg_1"), "delegator", 2.0),
            id="revoked-before-payment",
        ),
        pytest.param(
            (EventType.DELEGATION_EXPIRED, Chain("int_1", "dlg_1"), "agent", 2.0),
            id="expired-before-payment",
        ),
        pytest.param(
            (EventType.DELEGATION_SUSPENDED, Chain("int_1", "dlg_1"), "delegator", 2.0),
            id="suspended-before-payment",
        ),
        pytest.param(
            (EventType.DECISION_LOGGED, Chain("int_2"), "agent", 2.0), id="event-of-another-intent"
        ),
        pytest.param(
            (EventType.DECISION_LOGGED, Chain("int_1", "dlg_1", "ord_9"), "agent", 2.0),
            id="event-of-another-order",
        ),
    ],
)
def test_events_that_contradict_the_purchase_fail(extra: Any) -> None:
    assert_fails(build_bundle(extra_events=(extra,)))


def test_lifecycle_events_that_allow_the_payment_pass() -> None:
    dlg = Chain("int_1", "dlg_1")
    bundle = build_bundle(
        extra_events=(
            (EventType.DELEGATION_SUSPENDED, dlg, "delegator", 1.0),
            (EventType.DELEGATION_RESUMED, dlg, "delegator", 2.0),
            (EventType.DELEGATION_REVOKED, dlg, "delegator", 6.0),  # after the payment
            (EventType.DECISION_LOGGED, Chain("int_1", "dlg_1", "ord_1"), "agent", 2.5),
        )
    )
    report = verify_bundle(bundle, anchors=ANCHORS)
    assert report.ok, report.reason


# -- files and the command line -------------------------------------------------------------------


def _write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_verify_bundle_file(tmp_path: Path) -> None:
    assert verify_bundle_file(_write(tmp_path, "ok.json", valid_bundle()), anchors=ANCHORS).ok


def _tampered() -> Payload:
    bundle = valid_bundle()
    header, payload_b64, signature = bundle["receipt"].split(".")
    payload = json.loads(b64url_decode(payload_b64))
    payload["amount"] = cny("1.00")
    bundle["receipt"] = f"{header}.{b64url(canonicalize(payload))}.{signature}"
    return bundle


def test_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    anchors = str(_write(tmp_path, "anchors.json", ANCHORS.to_json()))
    bundle = str(_write(tmp_path, "ok.json", valid_bundle()))
    ok = runner.invoke(app, ["verify", bundle, "--trusted-keys", anchors])
    assert ok.exit_code == 0, ok.output
    assert "verified" in ok.stdout
    assert "receipt-signature" in ok.stdout
    assert "user:alice" in ok.stdout  # keys are reported by party

    unanchored = runner.invoke(app, ["verify", bundle])
    assert unanchored.exit_code == 3, unanchored.output
    assert "internally consistent only" in unanchored.stdout

    bad = runner.invoke(app, ["verify", str(_write(tmp_path, "bad.json", _tampered()))])
    assert bad.exit_code == 1
    assert "verification failed: receipt-signature" in bad.stderr

    garbage = runner.invoke(app, ["verify", str(_write(tmp_path, "g.json", "{not json"))])
    assert garbage.exit_code == 2
    assert "not JSON" in garbage.stderr
    missing = runner.invoke(app, ["verify", str(tmp_path / "absent.json")])
    assert missing.exit_code == 2
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00")
    assert runner.invoke(app, ["verify", str(binary)]).exit_code == 2


def test_cli_json_and_trusted_keys(tmp_path: Path) -> None:
    runner = CliRunner()
    bundle = _write(tmp_path, "ok.json", valid_bundle())
    result = runner.invoke(app, ["verify", str(bundle), "--json"])
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert (report["ok"], report["verdict"], report["anchored"]) == (
        False,
        "consistent-only",
        False,
    )
    assert all(check["passed"] for check in report["checks"])

    trusted = _write(tmp_path, "trusted.json", ANCHORS.to_json())
    result = runner.invoke(app, ["verify", str(bundle), "--trusted-keys", str(trusted), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["ok"], report["verdict"], report["reason"]) == (True, "verified", None)
    assert {s["party_id"] for s in report["signers"] if s["anchored"]} == set(IDS.values())
    partial = _write(
        tmp_path,
        "partial.json",
        TrustAnchors(tuple(a for a in ANCHORS.anchors if a.party_id != IDS["merchant"])).to_json(),
    )
    result = runner.invoke(app, ["verify", str(bundle), "--trusted-keys", str(partial)])
    assert result.exit_code == 1
    assert "trust-anchors" in result.stderr
    not_jwks = _write(tmp_path, "nj.json", {"keys": "no"})
    result = runner.invoke(app, ["verify", str(bundle), "--trusted-keys", str(not_jwks)])
    assert result.exit_code == 2
    # A plain JWKS names keys, not parties: refused as anchors, never taken as a pass.
    plain = _write(tmp_path, "plain.json", jwks(k.public for k in KEYS.values()))
    result = runner.invoke(app, ["verify", str(bundle), "--trusted-keys", str(plain)])
    assert result.exit_code == 2
    assert "plain JWKS" in result.stderr

    bad = runner.invoke(app, ["verify", str(_write(tmp_path, "bad.json", _tampered())), "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["ok"] is False
