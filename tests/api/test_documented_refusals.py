"""Each documented refusal, driven over real HTTP, answers the code and status docs/errors.md
gives it (the page is read as the oracle), on SQLite and PostgreSQL. Every role runs as a
uvicorn server on loopback; nothing here may move money or register a credential.

Covers the codes any service returns (signatures, bodies, routes), the payment provider's
request, token, binding and idempotency refusals, and every code the status service returns.
The refusals about authority (levels, approvals, holds) are in test_authority_over_http.py and
test_refusals_over_http.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers.delegation import make_isr
from tests.helpers.error_docs import ANY_SERVICE, PAYMENT_PROVIDER, STATUS_SERVICE, statuses
from trustcart.api.agent_auth import AgentRequestSigner
from trustcart.core.clock import FixedClock
from trustcart.crypto.httpsig import signing
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import SigningKey
from trustcart.delegation.iac import issue_iac
from trustcart.delegation.lifecycle import Actor, Transition, sign_transition_request
from trustcart.delegation.registration import iac_digest, sign_registration_proof
from trustcart.delegation.terms import DelegationMode
from trustcart.local.deployment import Deployment, build
from trustcart.local.persona import IDENTITY, KEY_NAME, ensure_account
from trustcart.local.seed import seed_if_empty
from trustcart.local.servers import Endpoints, Servers, free_port
from trustcart.payments.ledger_store import check_balanced
from trustcart.store.db import Database
from trustcart.store.delegation import DelegationRow
from trustcart.store.payments import PaymentRow


@dataclass
class Wire:
    deployment: Deployment
    clock: FixedClock
    plain: httpx.Client  # to the PSP, unsigned
    status: httpx.Client  # to the status service

    def signed(
        self,
        key: SigningKey,
        *,
        clock: FixedClock | None = None,
        lifetime: timedelta = timedelta(seconds=60),
    ) -> httpx.Client:
        """A client to the PSP whose requests ``key`` signs, at ``clock``'s time."""
        client = httpx.Client(
            base_url=self.deployment.endpoints.psp,
            auth=AgentRequestSigner(key, clock=clock or self.clock, lifetime=lifetime),
        )
        self.deployment.clients.append(client)
        return client

    def counts(self) -> tuple[int, int]:
        with self.deployment.db.transaction() as session:
            check_balanced(session)
            payments = session.scalar(select(func.count()).select_from(PaymentRow)) or 0
            delegations = session.scalar(select(func.count()).select_from(DelegationRow)) or 0
        return int(payments), int(delegations)


@pytest.fixture
def wire(db: Database, tmp_path: Path) -> Iterator[Wire]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    seed_if_empty(db)
    ports = {role: free_port() for role in ("status", "trust", "merchant", "psp")}
    deployment = build(db, tmp_path / "home", Endpoints.on_ports(ports), clock)
    ensure_account(deployment.psp, deployment.keys)
    plain = httpx.Client(base_url=deployment.endpoints.psp)
    status = httpx.Client(base_url=deployment.endpoints.status)
    deployment.clients.extend([plain, status])
    with Servers(deployment.apps, ports):
        try:
            yield Wire(deployment, clock, plain, status)
        finally:
            deployment.close()


def answer(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    assert body["type"].endswith("/" + body["code"])
    assert body["status"] == response.status_code
    return response.status_code, str(body["code"])


def check(section: str, expected: dict[str, httpx.Response]) -> None:
    """Each response is its expected code, with a status the section documents for it."""
    for code, response in expected.items():
        status, got = answer(response)
        assert got == code, (code, response.text)
        assert status in statuses(section, code), (code, status, statuses(section, code))


def test_signature_and_body_refusals(wire: Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    before = wire.counts()
    agent = wire.deployment.agent_key
    psp = wire.signed(agent)
    key = {"Idempotency-Key": "k-docs"}
    request = psp.build_request("POST", "/payments", json={"mode": "L2"}, headers=key)
    assert psp.auth is not None
    signed = next(psp.auth.sync_auth_flow(request))
    forged = dict(signed.headers)
    forged["signature"] = forged["signature"][:-6] + "AAAA:"
    first = wire.plain.post("/payments", content=signed.content, headers=dict(signed.headers))
    assert first.status_code == 400  # signed and fresh: refused as a payment request, below
    past, future = (
        FixedClock(wire.clock.now() - timedelta(seconds=71)),
        FixedClock(wire.clock.now() + timedelta(seconds=11)),
    )
    monkeypatch.setattr(signing, "MAX_LIFETIME", timedelta(seconds=301))  # the signer's only
    long_lived = wire.signed(agent, lifetime=timedelta(seconds=301))
    check(
        ANY_SERVICE,
        {
            "signature-missing": wire.plain.post("/payments", json={"mode": "L2"}, headers=key),
            "signature-invalid": wire.plain.post(
                "/payments", content=signed.content, headers=forged
            ),
            "nonce-replayed": wire.plain.post(
                "/payments", content=signed.content, headers=dict(signed.headers)
            ),
            "digest-mismatch": wire.plain.post(
                "/payments", content=b'{"mode":"L1"}', headers=dict(signed.headers)
            ),
            "signature-expired": wire.signed(agent, clock=past).post(
                "/payments", json={}, headers=key
            ),
            "unknown-agent": wire.signed(SigningKey.generate()).post(
                "/payments", json={}, headers=key
            ),
            "malformed-json": wire.status.post(
                "/delegations", content=b'{"iac": ', headers={"Content-Type": "application/json"}
            ),
            "invalid-request": wire.status.post("/delegations", json={"iac": 1}),
            "body-too-large": wire.status.post(
                "/delegations",
                content=b'{"iac": "' + b"x" * 70_000 + b'"}',
                headers={"Content-Type": "application/json"},
            ),
            "unsupported-media-type": wire.status.post(
                "/delegations", content=b"iac=x", headers={"Content-Type": "text/plain"}
            ),
            "not-found": wire.status.get("/no-such-route"),
            "method-not-allowed": wire.status.delete("/delegations"),
        },
    )
    # docs/errors.md: "outside created/expires, in the future, or a lifetime over 300 s".
    for client in (wire.signed(agent, clock=future), long_lived):
        assert answer(client.post("/payments", json={}, headers=key)) == (
            401,
            "signature-expired",
        )
    assert wire.counts() == before


def test_payment_provider_refusals(wire: Wire) -> None:
    before = wire.counts()
    psp = wire.signed(wire.deployment.agent_key)
    as_merchant = wire.signed(next(iter(wire.deployment.merchant_keys.values())))
    body = {
        "mode": "L2",
        "payment_token": "ptk_nobody",
        "iac": "a.b.c",
        "cart": "a.b.c",
        "request_id": "req_1",
    }
    token_invalid = psp.post("/payments", json=body, headers={"Idempotency-Key": "k-1"})
    check(
        PAYMENT_PROVIDER,
        {
            "token-invalid": token_invalid,
            "idempotency-conflict": psp.post(
                "/payments",
                json=body | {"request_id": "req_2"},
                headers={"Idempotency-Key": "k-1"},
            ),
            "idempotency-key-missing": psp.post("/payments", json=body),
            "payment-request-invalid": psp.post(
                "/payments", json=body | {"mode": "L9"}, headers={"Idempotency-Key": "k-2"}
            ),
            "role-not-allowed": as_merchant.post(
                "/payments", json=body, headers={"Idempotency-Key": "k-3"}
            ),
            "binding-refused": wire.plain.post("/bindings", json={"binding": "a.b.c"}),
            "unknown-payment": psp.get("/payments/trd_nobody"),
        },
    )
    assert wire.counts() == before


def test_status_service_refusals(wire: Wire) -> None:
    now = wire.clock.now()
    alice = wire.deployment.keys.get(KEY_NAME)
    stranger = SigningKey.generate()

    def iac_by(key: SigningKey, delegation_id: str) -> str:
        isr = make_isr(now, delegation_mode=DelegationMode.BOUNDED)
        return issue_iac(
            isr,
            delegation_id=delegation_id,
            delegator_identity=IDENTITY,
            delegator_key=key,
            status_url=f"{wire.deployment.endpoints.status}/delegations/{delegation_id}/status",
            now=now,
        ).token

    def registration(token: str, key: SigningKey, at: datetime = now) -> dict[str, str]:
        proof = sign_registration_proof(
            str(peek_payload(token)["delegation_id"]), iac_digest(token), key=key, now=at
        )
        return {"iac": token, "proof": proof}

    mine = iac_by(alice, "dlg_docs_alice")
    accepted = wire.status.post("/delegations", json=registration(mine, alice))
    assert accepted.status_code == 201, accepted.text

    def transition(kind: Transition, key: SigningKey) -> httpx.Response:
        request = sign_transition_request(
            "dlg_docs_alice", kind, key=key, actor=Actor.PRINCIPAL, now=now
        )
        return wire.status.post(
            "/delegations/dlg_docs_alice/transitions", json={"request": request}
        )

    foreign = iac_by(stranger, "dlg_docs_stranger")
    replay = registration(iac_by(alice, "dlg_docs_replay"), alice)
    assert wire.status.post("/delegations", json=replay).status_code == 201
    _, registered = wire.counts()
    check(
        STATUS_SERVICE,
        {
            "delegator-key-unknown": wire.status.post(
                "/delegations", json=registration(foreign, stranger)
            ),
            "iac-invalid": wire.status.post(
                "/delegations", json=registration(mine, alice)
            ),  # a second registration of dlg_docs_alice: 409
            "not-authorized": wire.status.post("/delegations", json=replay),
            "unknown-delegation": wire.status.get("/delegations/dlg_nobody/status"),
            "illegal-transition": transition(Transition.RESUME, alice),  # it is Active
        },
    )
    stale = registration(
        iac_by(alice, "dlg_docs_stale"), alice, at=now - timedelta(minutes=5, seconds=1)
    )
    bob = SigningKey.generate()  # a real delegator in the directory, but another person
    wire.deployment.directory.register(bob.public, party_id="user:bob", role="delegator")
    by_bob = iac_by(bob, "dlg_docs_bob")
    refusals = {
        "another person's key": wire.status.post("/delegations", json=registration(by_bob, bob)),
        "stale proof": wire.status.post("/delegations", json=stale),
        "stranger's transition": transition(Transition.SUSPEND, stranger),
        "a key sent along": wire.status.post(
            "/delegations",
            json=registration(iac_by(alice, "dlg_docs_jwk"), alice)
            | {"delegator_jwk": alice.public.to_jwk()},
        ),
        "not a JWS": wire.status.post("/delegations", json={"iac": "a.b.c", "proof": "x"}),
    }
    assert {name: answer(response) for name, response in refusals.items()} == {
        "another person's key": (403, "delegator-key-unknown"),
        "stale proof": (401, "not-authorized"),
        "stranger's transition": (401, "not-authorized"),
        "a key sent along": (400, "invalid-request"),
        "not a JWS": (400, "iac-invalid"),
    }
    assert wire.counts()[1] == registered
