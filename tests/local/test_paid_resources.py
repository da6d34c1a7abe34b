"""The demo installation protects its paid resources with A402 (``local.paid_resources``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trustcart.crypto.keys import SigningKey
from trustcart.local.deployment import Deployment, build
from trustcart.local.paid_resources import PRICE_HISTORY, SELLER_ID
from trustcart.local.seed import seed_if_empty
from trustcart.local.servers import ROLE_NAMES, Endpoints
from trustcart.payments.a402.codec import PAYMENT_NEEDED
from trustcart.payments.a402.signing import verify_payment_needed
from trustcart.store.db import Database


@pytest.fixture
def deployment(sqlite_db: Database, tmp_path: Path) -> Iterator[Deployment]:
    seed_if_empty(sqlite_db)
    ports = dict.fromkeys(ROLE_NAMES, 9)  # never called: the apps are driven in process
    built = build(sqlite_db, tmp_path, Endpoints.on_ports(ports))
    try:
        yield built
    finally:
        built.close()


def test_the_price_history_api_answers_402_signed_by_its_seller(deployment: Deployment) -> None:
    merchant = TestClient(deployment.apps["merchant"])
    response = merchant.get("/paid/price-history/p_pearl_milk_tea")
    assert response.status_code == 402
    key: SigningKey = deployment.merchant_keys[SELLER_ID]
    requirement = verify_payment_needed(response.headers[PAYMENT_NEEDED], {key.kid: key.public})
    assert (requirement.seller_id, requirement.amount) == (SELLER_ID, PRICE_HISTORY.price)
    listed = {m["merchant_id"]: m["kid"] for m in merchant.get("/merchants").json()["merchants"]}
    assert listed[SELLER_ID] == key.kid  # the buyer can check the signature from the directory


def test_the_psp_offers_the_a402_credential_to_signed_agents_only(deployment: Deployment) -> None:
    psp = TestClient(deployment.apps["psp"], raise_server_exceptions=False)
    response = psp.post("/a402/credentials", json={"trade_no": "trd_x", "cart": "a.b.c"})
    assert response.status_code == 401


def test_a_store_without_the_seller_mounts_no_paid_routes(
    sqlite_db: Database, tmp_path: Path
) -> None:
    built = build(sqlite_db, tmp_path, Endpoints.on_ports(dict.fromkeys(ROLE_NAMES, 9)))
    try:
        paths = {getattr(route, "path", "") for route in built.apps["merchant"].routes}
        assert "/paid/price-history/{product_id}" not in paths
    finally:
        built.close()
