"""A payment provider's risk step-up, end to end on the seeded store (loopback): the agent's
L2 payment is stepped up, the person is asked "approve this one payment", and on yes the same
cart is paid at L1; on no nothing is paid. The PSP reads the rules from ``risk.toml``."""

from collections.abc import Iterator

import pytest

from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.proposals import ApprovalKind, ApprovalRequest, deny_all
from trustcart.assistant.tools import ShoppingTools
from trustcart.local.deployment import Deployment
from trustcart.local.market import local_market
from trustcart.local.persona import ACCOUNT_ID

# Every payment to a merchant this PSP has not paid for a day asks the person; nothing else.
RISK_TOML = """
[new_merchant]
min_amount = { CNY = "0.01" }
[outcomes]
velocity-agent = "off"
velocity-delegation = "off"
amount-above-usual = "off"
new-agent-large = "off"
refusal-streak = "off"
new-merchant = "step-up"
"""


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ShoppingTools, Deployment]]:
    home = tmp_path_factory.mktemp("risk-market")
    (home / "risk.toml").write_text(RISK_TOML, encoding="utf-8")
    with local_market(home, f"sqlite:///{home / 'trustcart.db'}") as running:
        yield running


def standing_proposal(tools: ShoppingTools, text: str) -> tuple[str, str]:
    tools.approver = lambda _request: True
    compared = tools.compare(text)
    proposal = tools.propose_cart(compared["options"][0]["option_id"])["proposal_id"]
    granted = tools.request_approval(proposal)
    assert granted["mode"] == "BOUNDED"
    return proposal, str(granted["delegation_id"])


def test_a_step_up_asks_the_person_and_pays_that_cart_at_l1(
    market: tuple[ShoppingTools, Deployment],
) -> None:
    tools, _ = market
    proposal, delegation_id = standing_proposal(
        tools, "up to 2 pearl milk teas this week, at most 30 CNY each, 60 CNY in total"
    )
    asked: list[ApprovalRequest] = []

    def person(request: ApprovalRequest) -> bool:
        asked.append(request)
        return True

    tools.approver = person
    paid = tools.pay(proposal, delegation_id)
    (request,) = asked
    assert request.kind is ApprovalKind.PURCHASE
    assert request.summary.startswith("Approve this one payment: ")
    assert "the person must approve this one payment" in request.summary
    (purchase,) = tools.proposals[proposal].purchases
    assert purchase.mode.value == "L1"
    assert purchase.approval is not None
    assert request.max_total == purchase.cart.total
    assert purchase.receipt.out_trade_no == purchase.cart.out_trade_no
    assert paid["status"] == "paid"


def test_a_step_up_the_person_declines_pays_nothing(
    market: tuple[ShoppingTools, Deployment],
) -> None:
    tools, deployment = market
    proposal, delegation_id = standing_proposal(
        tools, "up to 2 white t-shirts size M this month, at most 200 CNY each, 400 in total"
    )
    balance = deployment.psp.balance(ACCOUNT_ID)
    tools.approver = deny_all
    with pytest.raises(ToolRefused) as refused:
        tools.pay(proposal, delegation_id)
    assert refused.value.code == "declined"
    assert refused.value.reasons == ("risk-step-up-required",)
    assert tools.delegations[delegation_id].spent.count == 0
    assert deployment.psp.balance(ACCOUNT_ID) == balance
