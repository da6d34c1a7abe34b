"""Our agent buys from a UCP business over real HTTP (the business server of ``local.ucp``),
on SQLite and PostgreSQL: the business's offers appear in the same comparison as the
marketplace's, the purchase goes through a UCP checkout session paid by the trustcart payment
provider, and its evidence bundle verifies with ``--trusted-keys``."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.ucp_shopper import MILK_TEA, platform_tools, remote_option, verify_purchase
from tests.helpers.ucp_world import ucp_world
from trustcart.assistant.conversation import Conversation
from trustcart.local import persona
from trustcart.store.db import Database


def test_agent_compares_and_buys_from_a_ucp_business(db: Database, tmp_path: Path) -> None:
    with ucp_world(db, tmp_path) as world:
        deployment = world.deployment
        with platform_tools(deployment, deployment.endpoints.ucp) as tools:
            answer = tools.compare(MILK_TEA)
            option = remote_option(answer)
            assert option is not None, answer["options"]
            line = next(i for i in option["items"] if i["product_id"].startswith("ucp:"))
            assert "(UCP 127.0.0.1:" in line["merchant_name"]
            before = deployment.psp.balance(persona.ACCOUNT_ID)
            proposal = tools.propose_cart(option["option_id"])
            assert proposal["total"] == proposal["items"][0]["line_total"]  # the session's total
            approval = tools.request_approval(proposal["proposal_id"])
            assert approval["approved"] is True
            assert approval["mode"] == "BOUNDED"
            paid = tools.pay(proposal["proposal_id"])
            assert paid["status"] == "paid"
            assert paid["orders"][0]["mode"] == "L2"
            purchase = next(iter(tools.purchases.values()))
            assert purchase.cart.total.to_json() == proposal["total"]
            assert purchase.line is not None
            assert purchase.line.business == deployment.endpoints.ucp
            spent = before.minor - deployment.psp.balance(persona.ACCOUNT_ID).minor
            assert spent == purchase.cart.total.minor
            verify_purchase(deployment, purchase, tmp_path)

            # the same through the conversation: the approval names the quoted total
            chat = Conversation(tools)
            first = chat.say(MILK_TEA)
            index = next(
                n
                for n, o in enumerate(first.to_json()["options"])
                if remote_option({"options": [o]})
            )
            asked = chat.say(["the first one", "the second one", "the third one"][index])
            awaiting = asked.to_json()["awaiting_approval"]
            assert awaiting is not None
            assert awaiting["items"][0]["product_id"].startswith("ucp:")
            assert awaiting["total"]["amount"] in asked.message
            done = chat.say("yes")
            assert len(tools.purchases) == 2, done.message
