"""Evidence bundles of L3 (autonomous) payments: a BOUNDED IAC verifies, a SPECIFIED one
does not (AUP needs BOUNDED, ACT PSD-PAY-AUP), whatever the receipt says."""

from __future__ import annotations

from typing import Any

from tests.helpers.bundles import ANCHORS, assert_fails, build_bundle
from trustcart.trust.evidence import verify_bundle


def _bounded(iac: dict[str, Any]) -> None:
    iac["delegation_mode"] = "BOUNDED"


def test_an_l3_bundle_under_a_bounded_iac_verifies() -> None:
    bundle = build_bundle(mode="L3", iac=_bounded)
    assert bundle["approval"] is None
    report = verify_bundle(bundle, anchors=ANCHORS)
    assert report.ok, report.reason


def test_an_l3_bundle_under_a_specified_iac_fails() -> None:
    report = assert_fails(build_bundle(mode="L3"))
    assert report.first_failure is not None
    assert "BOUNDED" in str(report.reason)


def test_an_l3_bundle_whose_iac_names_no_mode_fails() -> None:
    def no_mode(iac: dict[str, Any]) -> None:
        del iac["delegation_mode"]  # absent means SPECIFIED

    assert "BOUNDED" in str(assert_fails(build_bundle(mode="L3", iac=no_mode)).reason)


def test_an_l3_receipt_with_an_approval_under_a_specified_iac_fails() -> None:
    def l3(receipt: dict[str, Any]) -> None:
        receipt["mode"] = "L3"

    bundle = build_bundle(mode="L1", receipt=l3)  # carries the L1 approval
    assert bundle["approval"] is not None
    assert "BOUNDED" in str(assert_fails(bundle).reason)
