"""Every stable error code is documented in docs/errors.md."""

from enum import StrEnum
from pathlib import Path

import pytest

from trustcart.assistant.agent_answers import AgentCode
from trustcart.assistant.checks import NOT_WHAT_WAS_ASKED
from trustcart.assistant.errors import ToolCode
from trustcart.commerce.acp.errors import AcpCode
from trustcart.commerce.errors import CommerceProblem
from trustcart.commerce.picture_upload import PictureProblem
from trustcart.core.problem import CommonProblem
from trustcart.delegation.constraints import ConstraintReason
from trustcart.delegation.errors import DelegationProblem
from trustcart.disputes.errors import DisputeProblem
from trustcart.disputes.rules import Outcome, ReasonCode
from trustcart.payments.errors import PaymentProblem
from trustcart.payments.vault import VaultDecline
from trustcart.trust.admission import RecordRefusal
from trustcart.web.signing_desk import SigningCode

DOC = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "codes",
    [
        CommonProblem,
        DelegationProblem,
        ConstraintReason,
        CommerceProblem,
        PaymentProblem,
        ToolCode,
        AgentCode,
        RecordRefusal,
        AcpCode,
        VaultDecline,
        SigningCode,
        PictureProblem,
        DisputeProblem,
        ReasonCode,
        Outcome,
    ],
)
def test_every_code_is_documented(codes: type[StrEnum]) -> None:
    missing = [code.value for code in codes if f"`{code.value}`" not in DOC]
    assert missing == []


def test_the_proposal_check_code_is_documented() -> None:
    assert f"`{NOT_WHAT_WAS_ASKED}`" in DOC
