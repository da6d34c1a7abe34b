"""A UCP checkout over real loopback HTTP: created, updated and completed, schema-valid at every
step, paid through the trustcart payment provider against an ACT IAC (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from tests.helpers.ucp_flow import complete_body, create_body, milk_tea, update_body
from tests.helpers.ucp_schemas import validate, validate_checkout, validate_error
from tests.helpers.ucp_world import UcpWorld, ucp_world
from trustcart.delegation.iac import IAC
from trustcart.local import persona
from trustcart.local.evidence import write_trusted_keys
from trustcart.store.db import Database
from trustcart.trust.packaging import package_purchase


def verify_evidence(world: UcpWorld, iac: IAC, act: dict[str, str], folder: Path) -> int:
    """Package the bundle as the platform would, then run ``trustcart verify`` on it."""
    deployment = world.deployment
    deployment.relay.run_once()  # the business's staged cart-confirmed record, if still owed
    bundle = package_purchase(
        deployment.attestations,
        deployment.directory,
        isr=world.isrs[iac.delegation_id].to_json(),
        iac=iac.token,
        status=act["credential_status"],
        cart=act["cart"],
        approval=None,
        receipt=act["receipt"],
        now=deployment.clock.now(),
    )
    path = folder / "evidence" / "ucp-purchase.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(bundle), "utf-8")
    anchors = write_trusted_keys(deployment, path.parent)
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from trustcart.cli.main import main; main()",
            "verify",
            str(path),
            "--trusted-keys",
            str(anchors),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    return run.returncode


def test_checkout_created_updated_completed_and_ordered(db: Database, tmp_path: Path) -> None:
    with ucp_world(db, tmp_path) as world:
        product = milk_tea(world)
        iac, token = world.credential()
        before = world.deployment.psp.balance(persona.ACCOUNT_ID)

        created = world.send("POST", "/checkout-sessions", create_body(product["id"], iac.token))
        assert created.status_code == 201, created.text
        session = created.json()
        validate_checkout(session)
        assert session["status"] == "incomplete"  # no address yet
        assert {m["code"] for m in session["messages"]} == {"fulfillment_address_required"}

        path = f"/checkout-sessions/{session['id']}"
        updated = world.send("PUT", path, update_body(product["id"], 2, ["NO-SUCH-CODE"]))
        assert updated.status_code == 200, updated.text
        session = updated.json()
        validate_checkout(session)
        assert session["status"] == "ready_for_complete"
        assert session["line_items"][0]["quantity"] == 2
        warning = next(m for m in session["messages"] if m["type"] == "warning")
        assert (warning["code"], warning["path"]) == (
            "discount_code_invalid",
            "$.discounts.codes[0]",
        )
        totals = {t["type"]: t["amount"] for t in session["totals"]}
        assert (
            totals["total"]
            == totals["subtotal"] - abs(totals.get("discount", 0)) + totals["fulfillment"]
        )

        fetched = world.send("GET", path)
        assert fetched.status_code == 200
        validate_checkout(fetched.json())
        assert fetched.json()["totals"] == session["totals"]

        key = str(uuid.uuid4())
        completed = world.send("POST", f"{path}/complete", complete_body(token), key=key)
        assert completed.status_code == 200, completed.text
        done = completed.json()
        validate_checkout(done)
        assert done["status"] == "completed"
        paid = before.minor - world.deployment.psp.balance(persona.ACCOUNT_ID).minor
        assert paid == totals["total"]

        # the ACT evidence of this purchase verifies offline against the trust anchors
        assert verify_evidence(world, iac, done["act"], tmp_path) == 0

        # replay: the stored answer, nothing charged again
        again = world.send("POST", f"{path}/complete", complete_body(token), key=key)
        assert (again.status_code, again.json()) == (200, done)
        assert before.minor - world.deployment.psp.balance(persona.ACCOUNT_ID).minor == paid
        # same key, another body: 409, a UCP error
        other = world.send("POST", f"{path}/complete", complete_body(token + "x"), key=key)
        assert other.status_code == 409
        validate_error(other.json())
        assert other.json()["messages"][0]["code"] == "idempotency_conflict"

        order = world.send("GET", f"/orders/{done['order']['id']}")
        assert order.status_code == 200, order.text
        validate(order.json(), "shopping/order.json")
        assert order.json()["checkout_id"] == session["id"]
        assert {t["type"]: t["amount"] for t in order.json()["totals"]}["total"] == paid

        # the IAC may also come with complete (act.iac): bound, checked, paid
        late = world.send("POST", "/checkout-sessions", create_body(product["id"], None))
        late_path = f"/checkout-sessions/{late.json()['id']}"
        ready = world.send("PUT", late_path, update_body(product["id"], 1, []))
        assert ready.json()["status"] == "ready_for_complete"
        iac2, token2 = world.credential()
        body = {**complete_body(token2), "act": {"iac": iac2.token}}
        validate_checkout(body, "complete")
        late_done = world.send("POST", f"{late_path}/complete", body)
        assert late_done.status_code == 200, late_done.text
        validate_checkout(late_done.json())
        assert late_done.json()["status"] == "completed"

        # a completed session cannot be cancelled or changed
        cancel = world.send("POST", f"{path}/cancel")
        assert cancel.status_code == 409
        validate_error(cancel.json())
        assert cancel.json()["messages"][0]["code"] == "invalid_transition"


def test_cancel_and_create_replay(db: Database, tmp_path: Path) -> None:
    with ucp_world(db, tmp_path) as world:
        product = milk_tea(world)
        key = str(uuid.uuid4())
        body = create_body(product["id"], None)
        first = world.send("POST", "/checkout-sessions", body, key=key)
        replay = world.send("POST", "/checkout-sessions", body, key=key)
        assert first.status_code == replay.status_code == 201
        assert first.json() == replay.json()  # one session, the stored answer
        conflict = world.send(
            "POST", "/checkout-sessions", create_body(product["id"], None, 2), key=key
        )
        assert conflict.status_code == 409
        validate_error(conflict.json())

        path = f"/checkout-sessions/{first.json()['id']}"
        canceled = world.send("POST", f"{path}/cancel")
        assert canceled.status_code == 200
        validate_checkout(canceled.json())
        assert canceled.json()["status"] == "canceled"
        # another platform cannot see this session
        stranger = world.send("GET", path, headers={"UCP-Agent": 'profile="https://x.test/u"'})
        assert stranger.status_code == 404
        validate_error(stranger.json())
