"""UCP's AP2 mandate extension at our business, over real loopback HTTP (SQLite and PostgreSQL).

A platform whose profile (served on loopback) lists ``dev.ucp.shopping.ap2_mandate`` negotiates
it: every checkout answer carries ``ap2.merchant_authorization`` (verified here with the key
the business profile publishes, over the JCS of the body without ``ap2``), and complete pays
only under the person's wallet's checkout mandate for that exact session. Each attack is
refused with the extension's code in UCP's error shape, the session still open and nothing
paid; then the honest mandate pays. Every body is validated against the pinned schemas with
the AP2 extension composed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.helpers.ucp_flow import complete_body, create_body, milk_tea, update_body
from tests.helpers.ucp_platform import platform_document, platform_server
from tests.helpers.ucp_schemas import BASE, registry, validate_checkout, validate_error
from tests.helpers.ucp_world import UcpWorld, ucp_world
from trustcart.assistant.ap2_wallet import UcpCheckoutMandates
from trustcart.commerce.ucp.ap2 import authorize, signed_part
from trustcart.commerce.ucp.profile import AP2_MANDATE
from trustcart.core.clock import SystemClock
from trustcart.crypto.detached_jws import attach, sign_detached, verify_detached
from trustcart.crypto.errors import InvalidSignature
from trustcart.crypto.keys import PublicKey, SigningKey, keys_from_jwks
from trustcart.delegation.ap2 import sdjwt
from trustcart.delegation.ap2.mandates import checkout_mandate_claims
from trustcart.delegation.iac import IAC
from trustcart.local import persona
from trustcart.local.parties import WALLET_MANDATE_KEY
from trustcart.store.db import Database

AP2_SCHEMA = "shopping/ap2_mandate.json#/$defs/dev.ucp.shopping.checkout"


# RFC 9901: <issuer JWT>~<disclosure>~...~<KB-JWT>; the KB-JWT is a JWT, dots included
SD_JWT_KB = re.compile(r"^[\w-]+\.[\w-]*\.[\w-]+(~[\w-]+)*~[\w-]+\.[\w-]+\.[\w-]+$", re.ASCII)


def validate_ap2_checkout(instance: Any, op: str | None = None) -> None:
    """A checkout with discount, fulfillment and the AP2 mandate extension (UCP composes).

    One known defect of the pinned schema is allowed, and only it: ``checkout_mandate``'s
    pattern has no room for the KB-JWT that ends every SD-JWT+KB (RFC 9901; the schema's own
    description says "SD-JWT+kb"), so a real one never matches it (docs/ucp.md, AP2).
    """
    validate_checkout(instance, op)
    validator = jsonschema.Draft202012Validator({"$ref": BASE + AP2_SCHEMA}, registry=registry(op))
    errors = list(validator.iter_errors(instance))
    for error in errors:
        assert list(error.absolute_path) == ["ap2", "checkout_mandate"], error.message
        assert error.validator == "pattern", error.message
        assert SD_JWT_KB.match(instance["ap2"]["checkout_mandate"])


def _signed_part(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "ap2"}


def _forged(
    checkout_jwt: str, key: SigningKey, agent: SigningKey, *, audience: str, nonce: str
) -> str:
    """A checkout mandate over any ``checkout_jwt``: what a lying platform could send."""
    now = SystemClock().now()
    claims = checkout_mandate_claims(
        checkout_jwt, issued_at=now, expires_at=now + timedelta(minutes=10)
    )
    issued = sdjwt.issue(claims, disclosable=("checkout_jwt",), issuer_key=key, holder=agent.public)
    return sdjwt.present(issued, holder_key=agent, audience=audience, nonce=nonce, now=now)


class Flow:
    """One AP2 platform at the business: its header, the wallet's keys and the session."""

    def __init__(self, world: UcpWorld, agent_header: str) -> None:
        self.world = world
        self.header = {"UCP-Agent": agent_header}
        self.audience = world.deployment.endpoints.ucp
        self.wallet_key = world.deployment.keys.get(WALLET_MANDATE_KEY, "ES256")
        self.agent_key = SigningKey.generate("ES256")
        profile = world.client.get("/.well-known/ucp").json()
        self.business_keys: dict[str, PublicKey] = keys_from_jwks({"keys": profile["signing_keys"]})
        self.business_kid = profile["signing_keys"][0]["kid"]

    def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.world.send(method, path, body, headers=self.header)

    def ready(self, product_id: str, iac: IAC) -> dict[str, Any]:
        created = self.send("POST", "/checkout-sessions", create_body(product_id, iac.token))
        assert created.status_code == 201, created.text
        self.check_authorized(created.json())
        path = f"/checkout-sessions/{created.json()['id']}"
        updated = self.send("PUT", path, update_body(product_id, 1, []))
        assert updated.status_code == 200, updated.text
        session = updated.json()
        assert session["status"] == "ready_for_complete"
        self.check_authorized(session)
        return dict(session)

    def check_authorized(self, session: dict[str, Any]) -> None:
        validate_ap2_checkout(session)
        assert AP2_MANDATE in session["ucp"]["capabilities"]
        authorization = session["ap2"]["merchant_authorization"]
        header = verify_detached(authorization, _signed_part(session), self.business_keys)
        assert header == {"alg": "ES256", "kid": self.business_kid}

    def mandate(self, session: dict[str, Any], iac: IAC, **kw: Any) -> str:
        mandates = UcpCheckoutMandates(kw.pop("wallet_key", self.wallet_key), self.agent_key)
        return mandates.checkout_mandate(
            session, self.business_keys, iac=iac, audience=self.audience, now=kw.pop("now")
        )

    def complete(self, session_id: str, token: str, mandate: str | None) -> httpx.Response:
        body = complete_body(token)
        if mandate is not None:
            body["ap2"] = {"checkout_mandate": mandate}
            validate_ap2_checkout(body, "complete")
        return self.send("POST", f"/checkout-sessions/{session_id}/complete", body)


def _refused(answer: httpx.Response, code: str) -> None:
    assert answer.status_code in (400, 403), answer.text
    validate_error(answer.json())
    assert answer.json()["messages"][0]["code"] == code, answer.text


def test_ap2_checkout_is_signed_and_pays_only_under_its_mandate(
    db: Database, tmp_path: Path
) -> None:
    with ucp_world(db, tmp_path) as world, platform_server() as platform:
        platform.document = platform_document(platform.key, platform.kid, ap2=True)
        flow = Flow(world, platform.agent_header)
        product = milk_tea(world)
        iac, token = world.credential()
        before = world.deployment.psp.balance(persona.ACCOUNT_ID)
        session = flow.ready(product["id"], iac)
        sid = session["id"]
        now = SystemClock().now()

        # 1. no mandate: AP2 was negotiated, so complete needs one
        _refused(flow.complete(sid, token, None), "mandate_required")
        bare = flow.send("POST", f"/checkout-sessions/{sid}/complete", {})
        _refused(bare, "mandate_required")  # asked for first, before the payment instrument

        # 2. a mandate over another checkout (a second session), however it is bound
        other = flow.ready(product["id"], iac)
        for_other = flow.mandate(other, iac, now=now)
        _refused(flow.complete(sid, token, for_other), "mandate_scope_mismatch")
        rebound = sdjwt.present(
            for_other.rsplit("~", 1)[0] + "~",
            holder_key=flow.agent_key,
            audience=flow.audience,
            nonce=sid,
            now=now,
        )
        _refused(flow.complete(sid, token, rebound), "mandate_scope_mismatch")

        # 3. the checkout changed after the business signed it (a lower total), kept signed
        cheaper = _signed_part(session)
        cheaper["totals"] = [
            {**t, "amount": t["amount"] - 100} if t["type"] == "total" else t
            for t in cheaper["totals"]
        ]
        tampered = attach(session["ap2"]["merchant_authorization"], cheaper)
        forged = _forged(
            tampered, flow.wallet_key, flow.agent_key, audience=flow.audience, nonce=sid
        )
        _refused(flow.complete(sid, token, forged), "merchant_authorization_invalid")

        # 4. a merchant_authorization by another key (under the business's kid or its own)
        stranger = SigningKey.generate("ES256")
        own = attach(sign_detached(_signed_part(session), stranger), _signed_part(session))
        forged = _forged(own, flow.wallet_key, flow.agent_key, audience=flow.audience, nonce=sid)
        _refused(flow.complete(sid, token, forged), "merchant_authorization_invalid")

        # 5. a key binding that is too old, and a mandate past its exp
        stale = flow.mandate(session, iac, now=now - timedelta(minutes=10))
        _refused(flow.complete(sid, token, stale), "mandate_scope_mismatch")
        issued = flow.mandate(session, iac, now=now - timedelta(minutes=20))
        expired = sdjwt.present(
            issued.rsplit("~", 1)[0] + "~",
            holder_key=flow.agent_key,
            audience=flow.audience,
            nonce=sid,
            now=now,
        )
        _refused(flow.complete(sid, token, expired), "mandate_expired")

        # 6. a mandate signed by a key that is not the person's wallet's
        impostor = flow.mandate(session, iac, now=now, wallet_key=SigningKey.generate("ES256"))
        _refused(flow.complete(sid, token, impostor), "mandate_invalid_signature")

        # 7. a session bound to no IAC: no key can be resolved for any mandate
        loose = flow.send("POST", "/checkout-sessions", create_body(product["id"], None))
        assert loose.status_code == 201, loose.text
        lpath = f"/checkout-sessions/{loose.json()['id']}"
        loose = flow.send("PUT", lpath, update_body(product["id"], 1, []))
        flow.check_authorized(loose.json())
        unbound = flow.mandate(loose.json(), iac, now=now)
        _refused(flow.complete(loose.json()["id"], token, unbound), "mandate_invalid_signature")

        # nothing was paid, the session is still open and still signed
        assert world.deployment.psp.balance(persona.ACCOUNT_ID) == before
        again = flow.send("GET", f"/checkout-sessions/{sid}")
        assert again.json()["status"] == "ready_for_complete"
        flow.check_authorized(again.json())

        # the honest mandate over this session exactly: paid through the ordinary path
        done = flow.complete(sid, token, flow.mandate(again.json(), iac, now=SystemClock().now()))
        assert done.status_code == 200, done.text
        completed = done.json()
        assert completed["status"] == "completed"
        flow.check_authorized(completed)
        total = next(t["amount"] for t in completed["totals"] if t["type"] == "total")
        spent = before.minor - world.deployment.psp.balance(persona.ACCOUNT_ID).minor
        assert spent == total
        assert completed["act"]["receipt"]  # the ACT evidence is still there


def test_without_ap2_in_the_platform_profile_nothing_changes(db: Database, tmp_path: Path) -> None:
    with ucp_world(db, tmp_path) as world, platform_server() as platform:
        flow = Flow(world, platform.agent_header)  # the profile lists no AP2 extension
        product = milk_tea(world)
        iac, _token = world.credential()
        created = flow.send("POST", "/checkout-sessions", create_body(product["id"], iac.token))
        assert created.status_code == 201, created.text
        assert "ap2" not in created.json()
        assert AP2_MANDATE not in created.json()["ucp"]["capabilities"]
        profile = world.client.get("/.well-known/ucp").json()
        assert AP2_MANDATE in profile["ucp"]["capabilities"]  # we still offer it


def test_detached_signature_binds_every_member_but_ap2() -> None:
    key = SigningKey.generate("ES256")
    body = {"id": "chk_1", "totals": [{"type": "total", "amount": 500}], "ucp": {"v": "1"}}
    signed = authorize(body, key)
    detached = signed["ap2"]["merchant_authorization"]
    keys = {key.kid: key.public}
    assert verify_detached(detached, signed_part({**signed, "ap2": {"x": "y"}}), keys)
    for changed in (
        {**body, "id": "chk_2"},
        {**body, "totals": [{"type": "total", "amount": 400}]},
        {k: v for k, v in body.items() if k != "ucp"},  # ucp members are covered too
        {**body, "extra": 1},
    ):
        with pytest.raises(InvalidSignature):
            verify_detached(detached, changed, keys)
    header, _, signature = detached.split(".")
    for bad in (
        f"{header}.e30.{signature}",  # a payload segment: not detached
        "eyJhbGciOiJub25lIiwia2lkIjoieCJ9.." + signature,  # alg none
        detached[:-2] + ("AA" if not detached.endswith("AA") else "BB"),
    ):
        with pytest.raises(InvalidSignature):
            verify_detached(bad, body, keys)
    with pytest.raises(InvalidSignature):  # another key under the same kid
        verify_detached(detached, body, {key.kid: SigningKey.generate("ES256").public})
