"""Our platform and our business with UCP's AP2 mandate extension negotiated, over real HTTP
(SQLite and PostgreSQL): both profiles list ``dev.ucp.shopping.ap2_mandate``, so the agent
checks the business's ``ap2.merchant_authorization`` on every checkout answer it relies on and
completes with the person's wallet's checkout mandate (the business refuses a complete without
one). A business, or anyone between, that drops AP2 or changes a signed checkout is refused at
the quote, before the person is asked, and nothing is paid."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.ucp_flow import complete_body, create_body, milk_tea, update_body
from tests.helpers.ucp_liar import lying_business
from tests.helpers.ucp_shopper import MILK_TEA, platform_tools, remote_option
from tests.helpers.ucp_world import ucp_world
from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.ucp.ap2 import AP2_MANDATE
from trustcart.crypto.detached_jws import verify_detached
from trustcart.crypto.keys import keys_from_jwks
from trustcart.local import persona
from trustcart.local.ucp_platform import platform_profile_url
from trustcart.store.db import Database


def test_our_platform_buys_under_ap2_mandates(db: Database, tmp_path: Path) -> None:
    with ucp_world(db, tmp_path) as world:
        deployment = world.deployment
        ours = {"UCP-Agent": f'profile="{platform_profile_url(deployment.endpoints.trust)}"'}
        with platform_tools(deployment, deployment.endpoints.ucp) as tools:
            option = remote_option(tools.compare(MILK_TEA))
            assert option is not None
            before = deployment.psp.balance(persona.ACCOUNT_ID)
            proposal = tools.propose_cart(option["option_id"])
            assert tools.request_approval(proposal["proposal_id"])["approved"] is True
            assert tools.pay(proposal["proposal_id"])["status"] == "paid"
            purchase = next(iter(tools.purchases.values()))
            spent = before.minor - deployment.psp.balance(persona.ACCOUNT_ID).minor
            assert spent == purchase.cart.total.minor
            session_id = next(iter(tools.agent.shops._sessions.values()))  # type: ignore[attr-defined]

        # the session was under AP2 with our platform: signed by the business's profile key
        profile = world.client.get("/.well-known/ucp").json()
        keys = keys_from_jwks({"keys": profile["signing_keys"]})
        done = world.send("GET", f"/checkout-sessions/{session_id}", headers=ours).json()
        assert done["status"] == "completed"
        assert AP2_MANDATE in done["ucp"]["capabilities"]
        signed = {k: v for k, v in done.items() if k != "ap2"}
        verify_detached(done["ap2"]["merchant_authorization"], signed, keys)

        # and with our platform a complete without the wallet's mandate pays nothing
        product = milk_tea(world)
        iac, token = world.credential()
        created = world.send(
            "POST", "/checkout-sessions", create_body(product["id"], iac.token), headers=ours
        )
        path = f"/checkout-sessions/{created.json()['id']}"
        world.send("PUT", path, update_body(product["id"], 1, []), headers=ours)
        before = deployment.psp.balance(persona.ACCOUNT_ID)
        refused = world.send("POST", f"{path}/complete", complete_body(token), headers=ours)
        assert refused.json()["messages"][0]["code"] == "mandate_required", refused.text
        assert deployment.psp.balance(persona.ACCOUNT_ID) == before


def test_dropped_or_changed_authorizations_are_refused_at_the_quote(
    db: Database, tmp_path: Path
) -> None:
    with ucp_world(db, tmp_path) as world, lying_business(world.deployment.endpoints.ucp) as liar:
        deployment = world.deployment
        balance = deployment.psp.balance(persona.ACCOUNT_ID)
        with platform_tools(deployment, liar.url) as tools:
            # AP2 dropped from the session (a downgrade to an unprotected checkout)
            liar.tricks["strip_ap2"] = 1
            option = remote_option(tools.compare(MILK_TEA))
            assert option is not None
            with pytest.raises(ToolRefused) as dropped:
                tools.propose_cart(option["option_id"])
            assert dropped.value.code == "ucp-merchant-authorization-missing"

            # figures that add up but are not the ones the business signed
            liar.tricks.clear()
            liar.tricks["raise_price"] = 100
            option = remote_option(tools.compare(MILK_TEA))
            assert option is not None
            with pytest.raises(ToolRefused) as changed:
                tools.propose_cart(option["option_id"])
            assert changed.value.code == "ucp-merchant-authorization-invalid"
        assert liar.completes == 0
        assert deployment.psp.balance(persona.ACCOUNT_ID) == balance
