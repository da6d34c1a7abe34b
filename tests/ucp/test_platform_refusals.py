"""A business that lies about its totals, changes its price after the person approved, or
stops answering is refused with a clear reason and nothing paid (real HTTP, SQLite and
PostgreSQL; the liar is a proxy in front of our own business, ``tests/helpers/ucp_liar``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.ucp_liar import lying_business
from tests.helpers.ucp_shopper import MILK_TEA, platform_tools, remote_option
from tests.helpers.ucp_world import ucp_world
from trustcart.assistant.errors import ToolRefused
from trustcart.local import persona
from trustcart.store.db import Database


def test_lying_repricing_and_unreachable_businesses_are_refused(
    db: Database, tmp_path: Path
) -> None:
    with ucp_world(db, tmp_path) as world, lying_business(world.deployment.endpoints.ucp) as liar:
        deployment = world.deployment
        balance = deployment.psp.balance(persona.ACCOUNT_ID)
        with platform_tools(deployment, liar.url) as tools:
            # totals that do not add up: refused when the cart is proposed, before approval
            liar.tricks["inflate_total"] = 500
            option = remote_option(tools.compare(MILK_TEA))
            assert option is not None
            with pytest.raises(ToolRefused) as lied:
                tools.propose_cart(option["option_id"])
            assert lied.value.code == "ucp-totals-mismatch"
            assert "do not add up" in lied.value.reason

            # a price raised after the person approved the quoted cart: refused at payment
            liar.tricks.clear()
            option = remote_option(tools.compare(MILK_TEA))
            assert option is not None
            proposal = tools.propose_cart(option["option_id"])
            assert tools.request_approval(proposal["proposal_id"])["approved"] is True
            liar.tricks["raise_price"] = 100
            with pytest.raises(ToolRefused) as moved:
                tools.pay(proposal["proposal_id"])
            assert moved.value.code == "ucp-price-changed"
            assert "not the" in moved.value.reason

            # unreachable: its offers drop out of the comparison; a quote or payment is refused
            liar.tricks.clear()
            option = remote_option(tools.compare(MILK_TEA))
            assert option is not None
            proposal = tools.propose_cart(option["option_id"])
            assert tools.request_approval(proposal["proposal_id"])["approved"] is True
            liar.tricks["down"] = 1
            with pytest.raises(ToolRefused) as gone:
                tools.pay(proposal["proposal_id"])
            assert gone.value.code == "ucp-unreachable"
            answer = tools.compare(MILK_TEA)
            assert answer["options"]
            assert remote_option(answer) is None
            assert liar.url in tools.agent.shops.skipped  # type: ignore[attr-defined]

        assert liar.completes == 0  # no complete ever reached the business
        assert deployment.psp.balance(persona.ACCOUNT_ID) == balance  # nothing paid
