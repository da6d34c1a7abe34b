"""Bad input and refused completions on the UCP business: a UCP error with a stable code, a body
valid against ``error_response``, and nothing changed (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.helpers.ucp_flow import complete_body, create_body, milk_tea, ready_session
from tests.helpers.ucp_schemas import validate_checkout, validate_error
from tests.helpers.ucp_world import UcpWorld, ucp_world
from trustcart.core.money import Money
from trustcart.delegation.lifecycle import Transition
from trustcart.delegation.terms import CommerceConstraints
from trustcart.local import persona
from trustcart.store.checkout import CheckoutIdempotencyRow, CheckoutSessionRow
from trustcart.store.commerce import OrderRow, ProductRow
from trustcart.store.db import Database


def snapshot(world: UcpWorld) -> tuple[Any, ...]:
    with world.deployment.db.read() as db:
        counts = tuple(
            db.scalar(select(func.count()).select_from(table))
            for table in (CheckoutSessionRow, CheckoutIdempotencyRow, OrderRow)
        )
        states = tuple(
            db.execute(select(CheckoutSessionRow.session_id, CheckoutSessionRow.status)).all()
        )
    return counts, states, world.deployment.psp.balance(persona.ACCOUNT_ID)


def sold_out(world: UcpWorld) -> str:
    with world.deployment.db.read() as db:
        return str(db.scalars(select(ProductRow.product_id).where(ProductRow.stock == 0)).first())


def refused(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert "problem" not in answer.headers.get("content-type", "")
    if code == "invalid_profile_url":  # a transport error in UCP's REST binding
        assert answer.json() == {"code": code, "content": answer.json()["content"]}
        return
    validate_error(answer.json())
    assert answer.json()["messages"][0]["code"] == code


def test_bad_input_gets_a_ucp_error_and_changes_nothing(db: Database, tmp_path: Path) -> None:
    with ucp_world(db, tmp_path) as world:
        product = milk_tea(world)
        session = ready_session(world, product["id"], None)
        path = f"/checkout-sessions/{session['id']}"
        good = create_body(product["id"], None)
        before = snapshot(world)
        raw = {"headers": {"Content-Type": "application/json"}}

        def post(target: str, content: bytes, **headers: str) -> Any:
            return world.client.post(
                target,
                content=content,
                headers={
                    "UCP-Agent": 'profile="https://platform.test/.well-known/ucp"',
                    "Idempotency-Key": "k-bad",
                    **raw["headers"],
                    **headers,
                },
            )

        for target in ("/checkout-sessions", f"{path}/complete", "/catalog/search"):
            refused(post(target, b'{"line_items": ['), 400, "invalid_json")
            refused(post(target, b"[1, 2]"), 400, "invalid_request")
            refused(post(target, b'{"a": "' + b"x" * 70_000 + b'"}'), 413, "body_too_large")
        refused(world.send("PUT", path, {"line_items": []}), 400, "invalid_request")
        refused(
            world.send(
                "POST",
                "/checkout-sessions",
                {"line_items": [{"item": {"id": product["id"]}, "quantity": 0}]},
            ),
            400,
            "invalid_request",
        )
        refused(
            world.send("POST", "/checkout-sessions", {**good, "ucp": {"version": "2025-01-01"}}),
            400,
            "version_unsupported",
        )
        refused(
            world.send(
                "POST",
                "/checkout-sessions",
                good,
                headers={"UCP-Agent": 'profile="https://p.test/u", version="2025-10-01"'},
            ),
            400,
            "version_unsupported",
        )
        refused(
            world.send(
                "POST",
                "/checkout-sessions",
                {**good, "ucp": {"capabilities": {"com.example.loyalty": [{}]}}},
            ),
            400,
            "capability_unsupported",
        )
        refused(
            world.send("PUT", path, {**good, "com.example.loyalty": {"points": 5}}),
            400,
            "capability_unsupported",
        )
        refused(world.client.post("/checkout-sessions", json=good), 400, "invalid_profile_url")
        no_key = world.client.post(
            "/checkout-sessions", json=good, headers={"UCP-Agent": 'profile="https://p.test/u"'}
        )
        refused(no_key, 400, "missing_header")
        refused(
            world.send("POST", "/checkout-sessions", good, headers={"UCP-Agent": "profile=1"}),
            400,
            "invalid_profile_url",
        )
        refused(
            world.send("POST", "/checkout-sessions", create_body("p_nosuchproduct", None)),
            400,
            "item_unavailable",
        )
        refused(
            world.send(
                "POST",
                f"{path}/complete",
                {
                    "payment": {
                        "instruments": [{"id": "i", "handler_id": "com.other.pay", "type": "card"}]
                    }
                },
            ),
            400,
            "payment_handler_unsupported",
        )
        refused(
            world.send("POST", "/checkout-sessions", create_body(sold_out(world), None)),
            409,
            "out_of_stock",
        )
        refused(world.send("GET", "/checkout-sessions/cs_nosuch"), 404, "not_found")
        refused(world.send("GET", "/orders/o_nosuch"), 404, "not_found")
        refused(world.send("GET", "/no/such/route"), 404, "not_found")
        after = snapshot(world)
        # a refused idempotent request is stored (its replay is the same refusal); nothing else
        assert (after[0][0], after[0][2], after[1], after[2]) == (
            before[0][0],
            before[0][2],
            before[1],
            before[2],
        )
        replay = world.send(
            "POST",
            f"{path}/complete",
            {
                "payment": {
                    "instruments": [{"id": "i", "handler_id": "com.other.pay", "type": "card"}]
                }
            },
            key="k-same",
        )
        again = world.send(
            "POST",
            f"{path}/complete",
            {
                "payment": {
                    "instruments": [{"id": "i", "handler_id": "com.other.pay", "type": "card"}]
                }
            },
            key="k-same",
        )
        assert replay.json() == again.json()
        assert again.status_code == 400
        assert json.loads(world.send("GET", path).text)["status"] == "ready_for_complete"


def test_complete_is_refused_unless_the_iac_allows_the_cart(db: Database, tmp_path: Path) -> None:
    with ucp_world(db, tmp_path) as world:
        product = milk_tea(world)

        # no IAC: this handler has nothing to pay against
        plain = ready_session(world, product["id"], None)
        _, token = world.credential()
        before = snapshot(world)
        answer = world.send(
            "POST", f"/checkout-sessions/{plain['id']}/complete", complete_body(token)
        )
        refused(answer, 402, "iac_required")

        # the cart costs more than the IAC allows for one purchase
        tight = CommerceConstraints(
            max_single=Money.parse("1.00", "CNY"),
            allowed_categories=("drinks/milk-tea",),
            max_total_quantity=3,
        )
        iac, token = world.credential(commerce=tight)
        over = ready_session(world, product["id"], iac.token)
        answer = world.send(
            "POST", f"/checkout-sessions/{over['id']}/complete", complete_body(token)
        )
        refused(answer, 403, "iac_refused")
        assert "over-single-limit" in answer.json()["messages"][0]["content"]

        # a category the IAC does not allow
        iac, token = world.credential(commerce=CommerceConstraints(allowed_categories=("apparel",)))
        other = ready_session(world, product["id"], iac.token)
        answer = world.send(
            "POST", f"/checkout-sessions/{other['id']}/complete", complete_body(token)
        )
        refused(answer, 403, "iac_refused")

        # revoked: the status service no longer says Active
        iac, token = world.credential()
        revoked = ready_session(world, product["id"], iac.token)
        world.wallet.transition(iac.delegation_id, Transition.REVOKE)
        answer = world.send(
            "POST", f"/checkout-sessions/{revoked['id']}/complete", complete_body(token)
        )
        refused(answer, 403, "iac_refused")
        assert "iac-revoked" in answer.json()["messages"][0]["content"]

        # a forged IAC (not signed by a delegator key) is refused as invalid
        head, body, _ = iac.token.split(".")
        forged = ready_session(world, product["id"], f"{head}.{body}.AAAA")
        answer = world.send(
            "POST", f"/checkout-sessions/{forged['id']}/complete", complete_body(token)
        )
        refused(answer, 403, "iac_refused")
        assert "iac-invalid" in answer.json()["messages"][0]["content"]

        after = snapshot(world)
        assert after[2] == before[2]  # nothing paid
        with world.deployment.db.read() as session:
            assert (
                session.scalar(
                    select(func.count()).select_from(OrderRow).where(OrderRow.status == "PAID")
                )
                == 0
            )
        for refused_session in (plain, over, other, revoked, forged):
            state = world.send("GET", f"/checkout-sessions/{refused_session['id']}").json()
            validate_checkout(state)
            assert state["status"] == "ready_for_complete"
