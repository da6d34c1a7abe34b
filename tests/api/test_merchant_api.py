"""The merchant HTTP shell over ASGI: signatures required, problem+json with stable codes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from tests.helpers.search import catalog_search
from trustcart.api.agent_auth import AgentRequestSigner, RequestVerifier
from trustcart.api.merchant import create_merchant_app
from trustcart.commerce.intent_context import criteria_from_context, parse_intent_context_request
from trustcart.commerce.requests import (
    parse_confirm_cart,
    parse_negotiation,
    parse_payment_notice,
)
from trustcart.commerce.service import MerchantService
from trustcart.core.clock import FixedClock
from trustcart.core.errors import ValidationError
from trustcart.core.problem import PROBLEM_CONTENT_TYPE, ProblemError
from trustcart.crypto.jws import sign_compact, verify_compact
from trustcart.crypto.keys import SigningKey, keys_from_jwks
from trustcart.crypto.nonces import InMemoryNonceCache
from trustcart.local.seed import seed_catalog
from trustcart.local.seed_merchants import DEMO_LOCATION, demo_merchant_keys
from trustcart.store.commerce import OrderRow, ProductRow
from trustcart.store.db import Database
from trustcart.trust.directory import InMemoryKeyDirectory

AGENT = "agent:trustcart-assistant"
PSP = "psp:trustcart"


@dataclass
class Api:
    app: Any
    db: Database
    clock: FixedClock
    agent: SigningKey
    other_agent: SigningKey
    psp: SigningKey
    other_psp: SigningKey

    def call(
        self,
        method: str,
        path: str,
        *,
        key: SigningKey | None = None,
        body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        nonce: str | None = None,
    ) -> httpx.Response:
        auth = None
        if key is not None:
            auth = (
                AgentRequestSigner(key, clock=self.clock, nonce_source=lambda: nonce)
                if nonce
                else AgentRequestSigner(key, clock=self.clock)
            )

        async def run() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://merchant.test", auth=auth
            ) as client:
                if body is not None:
                    return await client.request(method, path, json=body, headers=headers)
                return await client.request(method, path, content=content, headers=headers)

        return asyncio.run(run())

    def product(self, merchant_id: str, title: str) -> str:
        with self.db.transaction() as session:
            return session.scalars(
                select(ProductRow.product_id).where(
                    ProductRow.merchant_id == merchant_id, ProductRow.title == title
                )
            ).one()

    def orders(self) -> int:
        with self.db.transaction() as session:
            count = session.scalar(select(func.count()).select_from(OrderRow))
            assert count is not None
            return count

    def cart(self, **changes: Any) -> dict[str, Any]:
        return {
            "merchant_id": "m_leaf_and_cup",
            "items": [
                {"product_id": self.product("m_leaf_and_cup", "Pearl Milk Tea"), "quantity": 1}
            ],
            "intent_id": "int_demo",
            "delegation_id": "dlg_demo",
            "agent_id": AGENT,
            "payment_method": "trustcart-balance",
            **changes,
        }


@pytest.fixture
def api(sqlite_db: Database, clock: FixedClock) -> Api:
    catalog = seed_catalog(sqlite_db, random.Random(5), product_count=120)
    keys = demo_merchant_keys([m.merchant_id for m in catalog.merchants], random.Random(6))
    service = MerchantService(
        sqlite_db,
        keys,
        clock,
        psp_endpoint="http://127.0.0.1:8002/payments",
        psp_id=PSP,
        search=catalog_search(sqlite_db),
    )
    directory = InMemoryKeyDirectory()
    agent, other_agent, psp, other_psp = (SigningKey.generate() for _ in range(4))
    directory.register(agent.public, party_id=AGENT, role="agent")
    directory.register(other_agent.public, party_id="agent:other", role="agent")
    directory.register(psp.public, party_id=PSP, role="psp")
    directory.register(other_psp.public, party_id="psp:other", role="psp")
    verifier = RequestVerifier(
        directory, InMemoryNonceCache(), clock, allowed_roles=("agent", "psp")
    )
    app = create_merchant_app(service, verifier)
    return Api(app, sqlite_db, clock, agent, other_agent, psp, other_psp)


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith("/" + code)


def test_public_reads(api: Api) -> None:
    merchants = api.call("GET", "/merchants").json()["merchants"]
    assert {m["merchant_id"] for m in merchants} >= {"m_leaf_and_cup", "m_pearl_house"}
    jwks = api.call("GET", "/.well-known/jwks.json").json()
    assert {m["kid"] for m in merchants} == set(keys_from_jwks(jwks))
    capability = api.call(
        "GET", "/merchants/m_leaf_and_cup/.well-known/act-payment-capability.json"
    ).json()
    assert capability["role"] == "payee"
    assert capability["supported_methods"][0]["psps"][0]["psp_id"] == PSP
    pearl = api.product("m_leaf_and_cup", "Pearl Milk Tea")
    assert api.call("GET", f"/products/{pearl}").json()["price"]["amount"] == "19.00"
    assert_problem(api.call("GET", "/products/p_nope"), 404, "unknown-product")
    assert_problem(
        api.call("GET", "/merchants/m_nope/.well-known/act-payment-capability.json"),
        404,
        "unknown-merchant",
    )
    assert_problem(api.call("GET", "/no-such-route"), 404, "not-found")


def test_signed_cart_confirmation_and_payment(api: Api) -> None:
    response = api.call("POST", "/carts", key=api.agent, body=api.cart())
    assert response.status_code == 201, response.text
    confirmed = response.json()
    assert response.headers["location"] == f"/orders/{confirmed['out_trade_no']}"
    jwks = keys_from_jwks(api.call("GET", "/.well-known/jwks.json").json())
    cart = verify_compact(confirmed["cart"], jwks, typ="act-cart+jwt").payload
    assert cart["total"] == {"amount": "13.00", "currency": "CNY"}
    assert cart["agent_id"] == AGENT
    out_trade_no = confirmed["out_trade_no"]

    def notice_for(
        paid: str = "13.00",
        *,
        signer: SigningKey = api.psp,
        digest: str = confirmed["cart_digest"],
        **receipt_changes: Any,
    ) -> dict[str, Any]:
        money = {"amount": paid, "currency": "CNY"}
        receipt = {
            "trade_no": "trd_1",
            "out_trade_no": out_trade_no,
            "merchant_id": "m_leaf_and_cup",
            "amount": money,
            "mode": "L2",
            "delegation_id": "dlg_demo",
            "agent_id": AGENT,
            "cart_digest": digest,
            "status": "SUCCESS",
            "paid_at": "2026-11-29T08:01:00Z",
            **receipt_changes,
        }
        return {
            "type": "payment.succeeded",
            "trade_no": "trd_1",
            "out_trade_no": out_trade_no,
            "merchant_id": "m_leaf_and_cup",
            "amount": money,
            "paid_at": "2026-11-29T08:01:00Z",
            "receipt": sign_compact(receipt, signer, typ="act-payment-receipt+jwt"),
        }

    notice = notice_for()
    assert_problem(
        api.call("POST", "/payment-notifications", key=api.psp, body=notice_for("1.00")),
        409,
        "amount-mismatch",
    )
    # The receipt must be our PSP's, say what the notice says, and be for this very cart.
    for bad in (
        notice_for(signer=api.other_psp),
        notice_for(signer=api.agent),
        notice_for(amount={"amount": "1.00", "currency": "CNY"}),
        notice_for(status="PENDING"),
        notice_for(out_trade_no="ord_other"),
        {**notice, "receipt": notice["receipt"][:-4] + "AAAA"},
    ):
        assert_problem(
            api.call("POST", "/payment-notifications", key=api.psp, body=bad),
            403,
            "receipt-invalid",
        )
    assert_problem(
        api.call(
            "POST",
            "/payment-notifications",
            key=api.psp,
            body=notice_for(digest="sha-256:" + "A" * 43),
        ),
        409,
        "cart-mismatch",
    )
    no_receipt = {k: v for k, v in notice.items() if k != "receipt"}
    assert_problem(
        api.call("POST", "/payment-notifications", key=api.psp, body=no_receipt),
        400,
        "invalid-request",
    )
    # Only the configured PSP may say an order was paid.
    assert_problem(
        api.call("POST", "/payment-notifications", key=api.agent, body=notice),
        403,
        "role-not-allowed",
    )
    assert_problem(
        api.call("POST", "/payment-notifications", key=api.other_psp, body=notice),
        403,
        "role-not-allowed",
    )
    assert_problem(
        api.call("POST", "/payment-notifications", body=notice), 401, "signature-missing"
    )
    assert api.call("GET", f"/orders/{out_trade_no}", key=api.agent).json()["status"] == (
        "CONFIRMED"
    )
    paid = api.call("POST", "/payment-notifications", key=api.psp, body=notice)
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "PAID"

    order = api.call("GET", f"/orders/{out_trade_no}", key=api.agent)
    assert order.json()["status"] == "PAID"
    assert api.call("GET", f"/orders/{out_trade_no}", key=api.psp).status_code == 200
    # Another agent learns nothing, not even that the order exists.
    assert_problem(
        api.call("GET", f"/orders/{out_trade_no}", key=api.other_agent), 404, "unknown-order"
    )
    assert_problem(api.call("GET", f"/orders/{out_trade_no}"), 401, "signature-missing")


def test_unsigned_or_badly_signed_requests_are_refused(api: Api) -> None:
    assert_problem(api.call("POST", "/carts", body=api.cart()), 401, "signature-missing")
    stranger = SigningKey.generate()
    assert_problem(api.call("POST", "/carts", key=stranger, body=api.cart()), 401, "unknown-agent")
    assert_problem(
        api.call(
            "POST", "/intent-context", body={"request_id": "xfr_1", "context": {"query": "tea"}}
        ),
        401,
        "signature-missing",
    )
    assert_problem(
        api.call("POST", "/merchants/m_leaf_and_cup/payment-negotiation", body={"agent_id": AGENT}),
        401,
        "signature-missing",
    )
    # A valid signature over one body does not cover another.
    signed = httpx.Request("POST", "http://merchant.test/carts", json=api.cart())
    flow = AgentRequestSigner(api.agent, clock=api.clock).auth_flow(signed)
    request = next(flow)
    tampered = dict(request.headers)
    tampered.pop("content-length", None)
    changed = api.cart(
        items=[{"product_id": api.product("m_leaf_and_cup", "Pearl Milk Tea"), "quantity": 9}]
    )
    response = api.call("POST", "/carts", content=json.dumps(changed).encode(), headers=tampered)
    assert response.status_code in (400, 401)
    assert response.json()["code"] in ("digest-mismatch", "signature-invalid")
    assert api.orders() == 0


def test_replayed_signature_is_refused(api: Api) -> None:
    nonce = "n" * 43
    first = api.call("POST", "/carts", key=api.agent, body=api.cart(), nonce=nonce)
    assert first.status_code == 201
    assert_problem(
        api.call("POST", "/carts", key=api.agent, body=api.cart(), nonce=nonce),
        401,
        "nonce-replayed",
    )
    assert api.orders() == 1


def test_agents_speak_only_for_themselves(api: Api) -> None:
    assert_problem(
        api.call("POST", "/carts", key=api.other_agent, body=api.cart()), 403, "agent-mismatch"
    )
    assert_problem(
        api.call("POST", "/carts", key=api.psp, body=api.cart()), 403, "role-not-allowed"
    )
    # Without agent_id in the body, the signer's identity is used.
    body = api.cart()
    del body["agent_id"]
    response = api.call("POST", "/carts", key=api.other_agent, body=body)
    assert response.status_code == 201
    jwks = keys_from_jwks(api.call("GET", "/.well-known/jwks.json").json())
    assert (
        verify_compact(response.json()["cart"], jwks, typ="act-cart+jwt").payload["agent_id"]
        == "agent:other"
    )


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed-json"),
        (b"", "application/json", 400, "malformed-json"),
        (b'{"quantity": 1.5}', "application/json", 400, "malformed-json"),
        (b'{"a": NaN}', "application/json", 400, "malformed-json"),
        (b"[1, 2]", "application/json", 400, "invalid-request"),
        (b'"text"', "application/json", 400, "invalid-request"),
        (b"\xff\xfe", "application/json", 400, "malformed-json"),
        (b'{"merchant_id": "m_leaf_and_cup"}', "text/plain", 415, "unsupported-media-type"),
        (b'{"a": "' + b"x" * 70_000 + b'"}', "application/json", 413, "body-too-large"),
    ],
)
def test_malformed_bodies(
    api: Api, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = api.call(
        "POST", "/carts", key=api.agent, content=content, headers={"content-type": content_type}
    )
    assert_problem(response, status, code)
    assert api.orders() == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"items": [{"product_id": "p_x", "quantity": "1"}]},
        {"items": [{"product_id": "p_x", "quantity": 0}]},
        {"items": [{"product_id": 7, "quantity": 1}]},
        {"items": []},
        {"items": "p_x"},
        {"merchant_id": None},
        {"intent_id": ["int_a"]},
        {"payment_method": {"id": "x"}},
        {"coupon_ids": "c_leafcup_6off"},
        {"constraints": {"max_total_amount": "30.00"}},
        {"constraints": {"max_total_amount": {"amount": "30", "currency": 156}}},
        {"unexpected": True},
    ],
)
def test_wrong_types_are_invalid_requests(api: Api, changes: dict[str, Any]) -> None:
    assert_problem(
        api.call("POST", "/carts", key=api.agent, body=api.cart(**changes)), 400, "invalid-request"
    )
    assert api.orders() == 0


def test_commerce_errors_over_http(api: Api) -> None:
    pearl = api.product("m_leaf_and_cup", "Pearl Milk Tea")
    with api.db.transaction() as session:
        session.execute(update(ProductRow).where(ProductRow.product_id == pearl).values(stock=2))
    sold_out = api.cart(items=[{"product_id": pearl, "quantity": 3}])
    response = api.call("POST", "/carts", key=api.agent, body=sold_out)
    assert_problem(response, 409, "out-of-stock")
    assert response.json()["product_id"] == sold_out["items"][0]["product_id"]
    assert_problem(
        api.call(
            "POST",
            "/intent-context",
            key=api.agent,
            body={"request_id": "xfr_1", "context": {"query": "zzzz nothing"}},
        ),
        404,
        "no-match",
    )
    found = api.call(
        "POST",
        "/intent-context",
        key=api.agent,
        body={
            "request_id": "xfr_2",
            "context": {
                "query": "珍珠奶茶",
                "constraints": {
                    "location": {
                        "lat": str(DEMO_LOCATION.lat),
                        "lon": str(DEMO_LOCATION.lon),
                        "radius_km": "3",
                    }
                },
            },
        },
    )
    assert found.status_code == 200, found.text
    # Candidates come in the search engine's order (best match first); among the best matches,
    # the best total after coupons is 13.00.
    candidates = found.json()["candidates"]
    best = [c for c in candidates if c["score"] == candidates[0]["score"]]
    assert min(Decimal(c["offer"]["total"]["amount"]) for c in best) == Decimal("13.00")
    negotiation = {
        "agent_id": AGENT,
        "buyer_supported_methods": ["trustcart-balance"],
        "currency": "CNY",
        "estimated_amount": {"amount": "13.00", "currency": "CNY"},
    }
    agreed = api.call(
        "POST", "/merchants/m_leaf_and_cup/payment-negotiation", key=api.agent, body=negotiation
    )
    assert agreed.status_code == 200
    assert agreed.json()["supported_methods"][0]["psp_id"] == PSP
    assert_problem(
        api.call(
            "POST",
            "/merchants/m_leaf_and_cup/payment-negotiation",
            key=api.agent,
            body={**negotiation, "buyer_supported_methods": ["card"]},
        ),
        422,
        "method-not-supported",
    )


# -- fuzz: the parsers let only the documented errors escape ---------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "merchant_id",
        "items",
        "coupon_ids",
        "intent_id",
        "delegation_id",
        "agent_id",
        "payment_method",
        "constraints",
        "request_id",
        "previous_request_id",
        "context",
        "limit",
        "buyer_supported_methods",
        "currency",
        "estimated_amount",
        "out_trade_no",
        "trade_no",
        "amount",
        "paid_at",
        "status",
        "query",
        "quantity",
        "product_id",
        "location",
        "max_total_amount",
        "max_unit_price",
        "lat",
        "lon",
        "radius_km",
    ]
)
bodies = st.dictionaries(
    field_names, json_values | st.dictionaries(field_names, json_values, max_size=5), max_size=8
)


def _intent(body: dict[str, Any]) -> object:
    parsed = parse_intent_context_request(body)
    return criteria_from_context(parsed.context)


@settings(max_examples=400, deadline=None)
@given(body=bodies)
def test_parsers_raise_only_documented_errors(body: dict[str, Any]) -> None:
    for parse in (parse_confirm_cart, parse_negotiation, parse_payment_notice, _intent):
        with contextlib.suppress(ValidationError, ProblemError):
            parse(body)
