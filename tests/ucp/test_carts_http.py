"""UCP carts over real loopback HTTP on the one checkout state machine (SQLite and PostgreSQL):
create, get, update, convert to a checkout session (and pay it), cancel; schema-valid at every
step; idempotency; refusals that change nothing."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.helpers.ucp_flow import complete_body, milk_tea, update_body
from tests.helpers.ucp_schemas import validate, validate_checkout, validate_error
from tests.helpers.ucp_world import UcpWorld, ucp_world
from trustcart.local import persona
from trustcart.store.checkout import CheckoutSessionRow
from trustcart.store.db import Database

CART_WITH_DISCOUNT = "shopping/discount.json#/$defs/dev.ucp.shopping.cart"


def validate_cart(instance: Any, op: str | None = None) -> None:
    """A cart (request for ``op``, or response) with the discount extension."""
    validate(instance, "shopping/cart.json", op)
    validate(instance, CART_WITH_DISCOUNT, op)


def cart_body(product_id: str, quantity: int, codes: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "line_items": [{"item": {"id": product_id}, "quantity": quantity}],
        "buyer": {"email": "alice@example.com"},
        "context": {"address_country": "CN"},
    }
    if codes is not None:
        body["discounts"] = {"codes": codes}
    return body


def sessions(world: UcpWorld) -> int:
    with world.deployment.db.read() as db:
        return int(db.scalar(select(func.count()).select_from(CheckoutSessionRow)) or 0)


def test_cart_lifecycle_and_conversion_to_a_paid_checkout(db: Database, tmp_path: Path) -> None:
    with ucp_world(db, tmp_path) as world:
        product = milk_tea(world)
        body = cart_body(product["id"], 1)
        validate_cart(body, "create")
        created = world.send("POST", "/carts", body)
        assert created.status_code == 201, created.text
        cart = created.json()
        validate_cart(cart)
        assert "status" not in cart  # a cart has no lifecycle status
        assert set(cart["ucp"]["capabilities"]) == {
            "dev.ucp.shopping.cart",
            "dev.ucp.shopping.discount",
        }
        totals = {t["type"]: t["amount"] for t in cart["totals"]}
        assert totals["subtotal"] == product["price_range"]["min"]["amount"]

        path = f"/carts/{cart['id']}"
        update = {**cart_body(product["id"], 2, ["NO-SUCH-CODE"]), "id": cart["id"]}
        validate_cart(update, "update")
        updated = world.send("PUT", path, update)
        assert updated.status_code == 200, updated.text
        validate_cart(updated.json())
        assert updated.json()["line_items"][0]["quantity"] == 2
        warning = next(m for m in updated.json()["messages"] if m["type"] == "warning")
        assert warning["code"] == "discount_code_invalid"
        fetched = world.send("GET", path)
        assert fetched.status_code == 200
        validate_cart(fetched.json())
        assert fetched.json()["totals"] == updated.json()["totals"]

        # convert: the cart's items, buyer and codes; the body's own line_items are ignored
        convert = {"cart_id": cart["id"], "line_items": []}
        validate(convert, "shopping/cart.json#/$defs/checkout", "create")
        checkout = world.send("POST", "/checkout-sessions", convert)
        assert checkout.status_code == 201, checkout.text
        session = checkout.json()
        validate_checkout(session)
        assert [(li["item"]["id"], li["quantity"]) for li in session["line_items"]] == [
            (product["id"], 2)
        ]
        assert session["buyer"]["email"] == "alice@example.com"
        assert session["discounts"]["codes"] == ["NO-SUCH-CODE"]
        cart_subtotal = {t["type"]: t["amount"] for t in fetched.json()["totals"]}["subtotal"]
        assert {t["type"]: t["amount"] for t in session["totals"]}["subtotal"] == cart_subtotal
        # an open checkout for this cart already exists: the same one, not a second
        again = world.send("POST", "/checkout-sessions", convert)
        assert again.status_code == 200, again.text
        assert again.json()["id"] == session["id"]

        # and it pays like any checkout session
        iac, token = world.credential()
        checkout_path = f"/checkout-sessions/{session['id']}"
        ready = world.send("PUT", checkout_path, update_body(product["id"], 2, []))
        assert ready.json()["status"] == "ready_for_complete", ready.text
        before = world.deployment.psp.balance(persona.ACCOUNT_ID).minor
        done = world.send(
            "POST", f"{checkout_path}/complete", {**complete_body(token), "act": {"iac": iac.token}}
        )
        assert done.status_code == 200, done.text
        validate_checkout(done.json())
        assert done.json()["status"] == "completed"
        total = {t["type"]: t["amount"] for t in done.json()["totals"]}["total"]
        assert before - world.deployment.psp.balance(persona.ACCOUNT_ID).minor == total

        # cancel: the cart as it was, then gone
        key = str(uuid.uuid4())
        canceled = world.send("POST", f"{path}/cancel", key=key)
        assert canceled.status_code == 200, canceled.text
        validate_cart(canceled.json())
        assert canceled.json()["id"] == cart["id"]
        replay = world.send("POST", f"{path}/cancel", key=key)
        assert (replay.status_code, replay.json()) == (200, canceled.json())
        gone = world.send("GET", path)
        assert gone.status_code == 404
        validate_error(gone.json())
        assert gone.json()["messages"][0]["code"] == "not_found"


def test_cart_idempotency_scoping_and_refusals(sqlite_db: Database, tmp_path: Path) -> None:
    with ucp_world(sqlite_db, tmp_path) as world:
        product = milk_tea(world)
        key = str(uuid.uuid4())
        first = world.send("POST", "/carts", cart_body(product["id"], 1), key=key)
        replay = world.send("POST", "/carts", cart_body(product["id"], 1), key=key)
        assert first.status_code == replay.status_code == 201
        assert first.json() == replay.json()
        count = sessions(world)
        conflict = world.send("POST", "/carts", cart_body(product["id"], 3), key=key)
        assert conflict.status_code == 409
        validate_error(conflict.json())
        assert conflict.json()["messages"][0]["code"] == "idempotency_conflict"

        cart_id = first.json()["id"]
        # a cart is not a checkout session, and another platform sees neither
        as_checkout = world.send("GET", f"/checkout-sessions/{cart_id}")
        assert as_checkout.status_code == 404
        stranger = world.send(
            "GET", f"/carts/{cart_id}", headers={"UCP-Agent": 'profile="https://x.test/u"'}
        )
        assert stranger.status_code == 404
        validate_error(stranger.json())

        refusals = [
            ("POST", "/carts", {"line_items": []}, "invalid_request"),
            ("POST", "/carts", cart_body("p_nosuchproduct", 1), "item_unavailable"),
            ("PUT", f"/carts/{cart_id}", {**cart_body(product["id"], 1), "id": "c_x"}, None),
            ("POST", "/carts", {**cart_body(product["id"], 1), "com.x.y": {}}, None),
            ("POST", "/checkout-sessions", {"cart_id": "cs_nosuchcart", "line_items": []}, None),
            ("POST", "/checkout-sessions", {"cart_id": 7, "line_items": []}, "invalid_request"),
        ]
        for method, path, body, code in refusals:
            answer = world.send(method, path, body)
            assert 400 <= answer.status_code < 500, (path, answer.text)
            validate_error(answer.json())
            if code is not None:
                assert answer.json()["messages"][0]["code"] == code, answer.text
        assert sessions(world) == count  # nothing was made or changed
        unchanged = world.send("GET", f"/carts/{cart_id}")
        assert unchanged.json()["line_items"][0]["quantity"] == 1
