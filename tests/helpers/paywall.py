"""A paid-resource world: the real PSP and seller apps in process, an agent that pays.

Everything is real (PSP, ledger, RFC 9421-signed agent requests, the seller's paywall, the
buyer's auth flow) except the status service (``FakeStatusChecker``). The apps are reached
as real uvicorn servers on loopback ports (``local.servers.Servers``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from tests.helpers.delegation import make_isr
from tests.helpers.payments import AGENT, MERCHANT, PSP_ID, World, make_world
from trustcart.api.agent_auth import AgentRequestSigner, RequestVerifier
from trustcart.api.common import create_app
from trustcart.api.paid import PaidEndpoint, SecondProtocol, add_paid_routes
from trustcart.api.psp import create_psp_app
from trustcart.api.psp_a402 import add_a402_credential_route
from trustcart.assistant.a402_buyer import A402Auth, A402Payer
from trustcart.assistant.agent import BuyerAgent
from trustcart.assistant.proposals import Delegation
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.crypto.keys import SigningKey, jwks
from trustcart.crypto.nonces import InMemoryNonceCache
from trustcart.delegation.constraints import SpendSoFar
from trustcart.delegation.isr import ItemIntent
from trustcart.delegation.terms import AgentBehavior, CommerceConstraints, DeviationAction
from trustcart.local.servers import Servers, free_port
from trustcart.payments.paywall.calls import PaidCalls
from trustcart.payments.paywall.issuer import A402CredentialIssuer
from trustcart.payments.paywall.psp_lookup import HttpPaymentLookup
from trustcart.payments.paywall.resources import PaidResource
from trustcart.payments.paywall.seller import A402Seller
from trustcart.store.db import Database
from trustcart.trust.events import Chain, EventType, Participant

URL_PRICE_HISTORY = "/paid/price-history/p_pearl"
PRICE_HISTORY = PaidResource(
    "price-history",
    "Price history of one product",
    Money.parse("0.10", "CNY"),
    x402_price=Money.parse("0.01", "USD"),
)
STICKERS = PaidResource("goods/sticker-pack", "Sticker pack (digital)", Money.parse("2.00", "CNY"))


def price_history(product_id: str) -> Mapping[str, Any]:
    return {"product_id": product_id, "prices": [["2026-11-01", "18.00"], ["2026-12-01", "16.50"]]}


def sticker_pack(good_id: str) -> Mapping[str, Any]:
    return {"good_id": good_id, "download": f"stickers/{good_id}.zip"}


def paid_call_isr() -> dict[str, object]:
    """ISR terms that allow paid API calls (category ``digital/api-call``) up to 1 CNY each."""
    return {
        "items": (ItemIntent("paid api call", quantity=1, category="digital/api-call"),),
        "commerce": CommerceConstraints(
            max_single=Money.parse("1.00", "CNY"),
            allowed_categories=("digital/api-call",),
            max_total_quantity=5,
        ),
        "behavior": AgentBehavior(
            price_deviation_tolerance=Decimal("5"),
            price_deviation_action=DeviationAction.PAUSE_AND_NOTIFY,
        ),
    }


def _no_events(
    event_type: EventType,
    chain: Chain,
    participants: Sequence[Participant],
    body: Mapping[str, Any],
    initiator_key: SigningKey,
) -> str:
    return ""


def seller_app(world: World, seller: A402Seller, x402: SecondProtocol | None = None) -> FastAPI:
    """A merchant app listing one merchant, with the paid routes mounted."""
    app = create_app("test seller")

    @app.get("/merchants")
    def merchants() -> dict[str, Any]:
        return {"merchants": [{"merchant_id": MERCHANT, "kid": world.merchant_key.kid}]}

    @app.get("/.well-known/jwks.json")
    def keys() -> dict[str, Any]:
        return jwks([world.merchant_key.public])

    add_paid_routes(
        app,
        seller,
        price_history=PaidEndpoint(PRICE_HISTORY, price_history),
        goods=PaidEndpoint(STICKERS, sticker_pack),
        x402=x402,
    )
    return app


@dataclass
class PaidWorld:
    world: World
    calls: PaidCalls
    seller: A402Seller
    agent: BuyerAgent
    payer: A402Payer
    buyer: httpx.Client  # the merchant app through A402Auth
    plain: httpx.Client  # the merchant app, no payment flow
    psp: httpx.Client  # the PSP app, signed as the agent

    def close(self) -> None:
        for client in (self.buyer, self.plain, self.psp):
            client.close()


@contextmanager
def paid_world(
    db: Database,
    clock: FixedClock,
    x402: Any = None,
    **isr_overrides: Any,
) -> Iterator[PaidWorld]:
    """The PSP and the seller on loopback and an agent paying under a paid-call IAC.

    ``x402``: a function ``(world, calls) -> X402Seller`` to mount x402 on the same routes.
    """
    terms = {**paid_call_isr(), **isr_overrides}
    world = make_world(db, clock, **terms)
    agent_key = SigningKey.generate()
    world.directory.register(agent_key.public, party_id=AGENT, role="agent")
    psp_app = create_psp_app(
        world.provider,
        RequestVerifier(
            world.directory, InMemoryNonceCache(), clock, allowed_roles=("agent", "merchant")
        ),
    )
    add_a402_credential_route(
        psp_app, A402CredentialIssuer(db, signing_key=world.psp_key, clock=clock)
    )
    calls = PaidCalls(db)
    ports = {"psp": free_port(), "seller": free_port()}
    psp_url = f"http://127.0.0.1:{ports['psp']}"
    as_merchant = httpx.Client(
        base_url=psp_url, auth=AgentRequestSigner(world.merchant_key, clock=clock)
    )
    seller = A402Seller(
        calls,
        seller_id=MERCHANT,
        seller_key=world.merchant_key,
        psp=HttpPaymentLookup(as_merchant),
        psp_keys={world.psp_key.kid: world.psp_key.public},
        psp_id=PSP_ID,
        clock=clock,
    )
    app = seller_app(world, seller, None if x402 is None else x402(world, calls))
    with Servers({"psp": psp_app, "seller": app}, ports), as_merchant:
        seller_url = f"http://127.0.0.1:{ports['seller']}"
        psp = httpx.Client(base_url=psp_url, auth=AgentRequestSigner(agent_key, clock=clock))
        plain = httpx.Client(base_url=seller_url)
        world_ = _paid(world, calls, seller, agent_key, psp, plain, seller_url, clock, terms)
        try:
            yield world_
        finally:
            world_.close()


def _paid(
    world: World,
    calls: PaidCalls,
    seller: A402Seller,
    agent_key: SigningKey,
    psp: httpx.Client,
    plain: httpx.Client,
    seller_url: str,
    clock: FixedClock,
    terms: Mapping[str, Any],
) -> PaidWorld:
    agent = BuyerAgent(
        key=agent_key,
        agent_id=AGENT,
        clock=clock,
        merchants=plain,
        psp=psp,
        events=_no_events,
        status=world.status,
    )
    delegation = Delegation(
        isr=make_isr(clock.now(), **terms),
        iac=world.iac,
        payment_token=world.token,
        spent=SpendSoFar.zero("CNY"),
    )
    payer = A402Payer(agent, delegation, sellers=plain, psp=psp, clock=clock)
    buyer = httpx.Client(base_url=seller_url, auth=A402Auth(payer))
    return PaidWorld(world, calls, seller, agent, payer, buyer, plain, psp)
