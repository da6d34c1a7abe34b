"""Every stable error code is documented in docs/errors.md."""

from enum import StrEnum
from pathlib import Path

import pytest

from trustcart.commerce.errors import CommerceProblem
from trustcart.core.problem import CommonProblem
from trustcart.delegation.constraints import ConstraintReason
from trustcart.delegation.errors import DelegationProblem
from trustcart.payments.errors import PaymentProblem
from trustcart.trust.admission import RecordRefusal

DOC = (Path(__file__).parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "codes",
    [
        CommonProblem,
        DelegationProblem,
        ConstraintReason,
        CommerceProblem,
        PaymentProblem,
        RecordRefusal,
    ],
)
def test_every_code_is_documented(codes: type[StrEnum]) -> None:
    missing = [code.value for code in codes if f"`{code.value}`" not in DOC]
    assert missing == []
