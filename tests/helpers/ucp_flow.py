"""Request builders of a UCP checkout flow, each validated against the pinned schemas."""

from __future__ import annotations

from typing import Any

from tests.helpers.ucp_schemas import validate, validate_checkout
from tests.helpers.ucp_world import ADDRESS, UcpWorld
from trustcart.commerce.ucp.profile import HANDLER_ID, INSTRUMENT_TYPE


def milk_tea(world: UcpWorld) -> dict[str, Any]:
    request = {"query": "pearl milk tea", "pagination": {"limit": 5}}
    validate(request, "shopping/catalog_search.json#/$defs/search_request")
    answer = world.send("POST", "/catalog/search", request)
    assert answer.status_code == 200
    validate(answer.json(), "shopping/catalog_search.json#/$defs/search_response")
    products = answer.json()["products"]
    return next(p for p in products if p["price_range"]["min"]["amount"] <= 2500)


def create_body(product_id: str, iac: str | None, quantity: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"line_items": [{"item": {"id": product_id}, "quantity": quantity}]}
    if iac is not None:
        body["act"] = {"iac": iac}
    validate_checkout(body, "create")
    return body


def update_body(product_id: str, quantity: int, codes: list[str]) -> dict[str, Any]:
    body = {
        "line_items": [{"id": "li_1", "item": {"id": product_id}, "quantity": quantity}],
        "buyer": {"email": "alice@example.com", "first_name": "Alice"},
        "discounts": {"codes": codes},
        "fulfillment": {
            "methods": [
                {
                    "id": "fm_1",
                    "type": "shipping",
                    "line_item_ids": ["li_1"],
                    "destinations": [{"id": "dest_1", **ADDRESS}],
                    "groups": [{"id": "fg_1", "selected_option_id": "standard_delivery"}],
                }
            ]
        },
    }
    validate_checkout(body, "update")
    return body


def complete_body(token: str) -> dict[str, Any]:
    body = {
        "payment": {
            "instruments": [
                {
                    "id": "pi_1",
                    "handler_id": HANDLER_ID,
                    "type": INSTRUMENT_TYPE,
                    "selected": True,
                    "credential": {"type": INSTRUMENT_TYPE, "token": token},
                }
            ]
        }
    }
    validate_checkout(body, "complete")
    return body


def ready_session(world: UcpWorld, product_id: str, iac: str | None) -> dict[str, Any]:
    created = world.send("POST", "/checkout-sessions", create_body(product_id, iac))
    assert created.status_code == 201, created.text
    validate_checkout(created.json())
    updated = world.send(
        "PUT", f"/checkout-sessions/{created.json()['id']}", update_body(product_id, 1, [])
    )
    assert updated.status_code == 200, updated.text
    validate_checkout(updated.json())
    assert updated.json()["status"] == "ready_for_complete"
    return dict(updated.json())
