"""Evidence bundles of standing-order payments: ``ext.commerce.recurrence`` is understood by
``verify_bundle``; a payment above one period's cap, or a malformed recurrence, fails closed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.bundles import ANCHORS, assert_fails, build_bundle
from trustcart.trust.evidence import verify_bundle


def recurring(
    period: Any = "P1M", cap: Any = "19.00", **extra: Any
) -> Callable[[dict[str, Any]], None]:
    def mutate(iac: dict[str, Any]) -> None:
        iac["ext"]["commerce"]["recurrence"] = {"period": period, "period_cap": cap, **extra}

    return mutate


def test_a_payment_within_the_period_cap_verifies() -> None:
    report = verify_bundle(build_bundle(iac=recurring(cap="19.00")), anchors=ANCHORS)
    assert report.ok, report.reason  # the bundle pays 19.00: exactly the cap


def test_a_payment_above_the_period_cap_fails() -> None:
    report = assert_fails(build_bundle(iac=recurring(cap="18.99")))
    assert "period cap" in str(report.reason)


@pytest.mark.parametrize(
    "mutate",
    [
        recurring(period="P1Y"),
        recurring(period="PT1H"),
        recurring(cap=19),
        recurring(cap="0.00"),
        recurring(time_zone="Asia/Shanghai"),
    ],
)
def test_a_malformed_recurrence_fails(mutate: Callable[[dict[str, Any]], None]) -> None:
    assert "recurrence" in str(assert_fails(build_bundle(iac=mutate)).reason)
