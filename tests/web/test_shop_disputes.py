"""The "open a dispute" form on my orders: CSRF, only the payer, the dispute's page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.helpers.disputes import ORDER, seed_purchase
from tests.helpers.web_app import csrf_token, web_client
from trustcart.crypto.keys import SigningKey
from trustcart.store.payments import PaymentRow, PspAccount
from trustcart.web.services import WebServices
from trustcart.web.shoppers import identity_of


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[TestClient, WebServices, str]]:
    with web_client(tmp_path) as (client, services):
        yield client, services, csrf_token(client, "/chat")


def register(client: TestClient, token: str) -> None:
    key = SigningKey.generate()
    answer = client.post(
        "/shop/key", json={"jwk": key.public.to_jwk()}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 201


def own_the_seeded_order(services: WebServices, client: TestClient) -> None:
    """Make the seeded purchase this browser's: its wallet paid it."""
    seed_purchase(services.db)
    with services.db.transaction() as session:
        mine = [
            a
            for a in session.query(PspAccount).all()
            if a.delegator_identity.startswith(identity_of("shp_"))
        ]
        assert len(mine) == 1
        payment = session.get(PaymentRow, "tr_1")
        assert payment is not None
        payment.account_id = mine[0].account_id


def test_opening_a_dispute_needs_the_csrf_token_and_a_shopper(
    shop: tuple[TestClient, WebServices, str],
) -> None:
    client, _services, token = shop
    assert client.post(f"/my/orders/{ORDER}/dispute", data={"reason": "x"}).status_code == 403
    answer = client.post(f"/my/orders/{ORDER}/dispute", data={"reason": "x", "csrf_token": token})
    assert answer.status_code == 404  # no key registered: no shopper, no orders


def test_someone_elses_order_cannot_be_disputed(shop: tuple[TestClient, WebServices, str]) -> None:
    client, services, token = shop
    register(client, token)
    seed_purchase(services.db)  # paid by Alice's wallet, not this browser's
    answer = client.post(
        f"/my/orders/{ORDER}/dispute", data={"reason": "refund me", "csrf_token": token}
    )
    assert answer.status_code == 403
    assert 'data-refusal="dispute-forbidden"' in answer.text
    assert "No dispute on this order." in client.get(f"/my/orders/{ORDER}/dispute").text


def test_the_payer_opens_a_dispute_and_sees_its_decision(
    shop: tuple[TestClient, WebServices, str],
) -> None:
    client, services, token = shop
    register(client, token)
    own_the_seeded_order(services, client)
    answer = client.post(
        f"/my/orders/{ORDER}/dispute",
        data={"reason": "the tea never came", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]
    page = client.get(answer.headers["location"]).text
    # This browser's records hold no evidence for the seeded order: fail closed to review.
    assert "<dd data-state>review</dd>" in page
    assert "evidence-incomplete" in page
    again = client.post(
        f"/my/orders/{ORDER}/dispute", data={"reason": "again", "csrf_token": token}
    )
    assert 'data-refusal="dispute-already-open"' in again.text
