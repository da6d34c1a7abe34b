"""The PSP's dispute routes over real HTTP on loopback, on SQLite and PostgreSQL.

The purchase of tests/helpers/disputes (ord_1, 19.00 CNY, paid by Alice's wallet to m_tea) is
in the store; the evidence bundle is the helpers' (valid, fulfilled in time, tampered). The
PSP app runs in a uvicorn server; every request is RFC 9421-signed by the key its caller holds
(Alice's wallet key, the merchant's), or by an attacker's. Each refusal is checked against the
code and status docs/errors.md documents for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers.bundles import ANCHORS, IDS, KEYS, build_bundle, valid_bundle
from tests.helpers.clock import T0
from tests.helpers.disputes import ALICE, MERCHANT, ORDER, FixedEvidence, balances, seed_purchase
from tests.helpers.error_docs import ANY_SERVICE, statuses
from tests.helpers.payments import FakeStatusChecker
from trustcart.api.agent_auth import AgentRequestSigner, RequestVerifier
from trustcart.api.psp import create_psp_app
from trustcart.core.clock import FixedClock
from trustcart.core.money import Money
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import SigningKey
from trustcart.crypto.nonces import InMemoryNonceCache
from trustcart.disputes.service import DisputeService
from trustcart.local.servers import Servers, free_port
from trustcart.payments.notices import RecordingNotifier
from trustcart.payments.provider import PaymentProvider
from trustcart.store.db import Database
from trustcart.store.disputes import DisputeRow
from trustcart.store.outbox import OutboxRow
from trustcart.store.payments import RefundRow
from trustcart.trust.directory import InMemoryKeyDirectory
from trustcart.trust.events import Chain, EventType

DISPUTES = "Disputes"
PAID = Money(1900, "CNY")
FULFILLED = (
    (EventType.FULFILLMENT_COMPLETED, Chain("int_1", "dlg_1", ORDER, "tr_1"), "merchant", 6.0),
)
MALLORY, OTHER_MERCHANT = SigningKey.generate(), SigningKey.generate()
STRANGER = SigningKey.generate()  # in no directory


@dataclass
class Wire:
    db: Database
    clock: FixedClock
    url: str
    evidence: FixedEvidence
    service: DisputeService
    clients: list[httpx.Client]

    def as_(self, key: SigningKey) -> httpx.Client:
        """A client whose requests ``key`` signs (closed with the fixture)."""
        auth = AgentRequestSigner(key, clock=self.clock)
        self.clients.append(httpx.Client(base_url=self.url, timeout=30, auth=auth))
        return self.clients[-1]

    def unsigned(self) -> httpx.Client:
        self.clients.append(httpx.Client(base_url=self.url, timeout=30))
        return self.clients[-1]

    def disputes(self) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(DisputeRow)) or 0)


@pytest.fixture
def wire(db: Database) -> Iterator[Wire]:
    seed_purchase(db)
    clock = FixedClock(T0 + timedelta(minutes=30))  # the delivery promise (T0+8 min) passed
    directory = InMemoryKeyDirectory()
    directory.register(KEYS["delegator"].public, party_id=ALICE, role="delegator")
    directory.register(KEYS["merchant"].public, party_id=MERCHANT, role="merchant")
    directory.register(KEYS["agent"].public, party_id=IDS["agent"], role="agent")
    directory.register(KEYS["psp"].public, party_id=IDS["psp"], role="psp")
    directory.register(MALLORY.public, party_id="user:mallory", role="delegator")
    directory.register(OTHER_MERCHANT.public, party_id="m_other", role="merchant")
    evidence = FixedEvidence(valid_bundle())
    counter = iter(range(1, 1_000_000))
    service = DisputeService(
        db,
        clock=clock,
        evidence=evidence,
        anchors=lambda: ANCHORS,
        psp_id=IDS["psp"],
        psp_key=KEYS["psp"],
        random_bytes=lambda n: next(counter).to_bytes(n, "big"),
    )
    provider = PaymentProvider(
        db,
        psp_id=IDS["psp"],
        signing_key=KEYS["psp"],
        directory=directory,
        status_checker=FakeStatusChecker(),
        notifier=RecordingNotifier(),
        clock=clock,
    )
    verifier = RequestVerifier(
        directory, InMemoryNonceCache(), clock, allowed_roles=("agent", "merchant")
    )
    app = create_psp_app(provider, verifier, disputes=service)
    port = free_port()
    wire = Wire(db, clock, f"http://127.0.0.1:{port}", evidence, service, [])
    with Servers({"psp": app}, {"psp": port}):
        try:
            yield wire
        finally:
            for client in wire.clients:
                client.close()


def refused(response: httpx.Response, code: str, section: str = DISPUTES) -> dict[str, Any]:
    """``response`` is problem+json ``code`` with a status docs/errors.md gives it."""
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, response.text
    assert body["status"] == response.status_code
    assert response.status_code in statuses(section, code), (code, response.status_code)
    return body


def decision_records(db: Database) -> list[dict[str, Any]]:
    with db.read() as s:
        payloads = [peek_payload(row.payload) for row in s.scalars(select(OutboxRow)).all()]
    return [p for p in payloads if p.get("event_type") == EventType.DECISION_LOGGED.value]


def open_as(client: httpx.Client, reason: str = "the tea never came") -> httpx.Response:
    return client.post("/disputes", json={"out_trade_no": ORDER, "reason": reason})


def test_the_payer_opens_and_the_late_merchant_refunds(wire: Wire) -> None:
    wallet, merchant, losses = balances(wire.db)
    answer = open_as(wire.as_(KEYS["delegator"]))
    assert answer.status_code == 201, answer.text
    dispute = answer.json()
    assert (dispute["state"], dispute["opened_by"], dispute["opener_role"]) == (
        "decided",
        ALICE,
        "person",
    )
    decision = dispute["decision"]
    assert (decision["outcome"], decision["reason_code"]) == (
        "merchant-refund",
        "not-fulfilled-in-time",
    )
    assert decision["refund"] == {"amount": "19.00", "currency": "CNY"}
    assert balances(wire.db) == (wallet + PAID, merchant - PAID, losses)  # in the ledger
    with wire.db.read() as s:
        assert s.scalars(select(RefundRow)).one().reason == dispute["decision_id"]
    [record] = decision_records(wire.db)  # staged, PSP-signed, in the same transaction
    assert record["event_body"]["decision_id"] == dispute["decision_id"]
    assert record["event_body"]["refund"] == {"amount": "19.00", "currency": "CNY"}
    assert record["participants"][0]["role"] == "psp"
    # GET answers the same object as ``trustcart disputes show --json`` prints.
    shown = wire.as_(KEYS["delegator"]).get(f"/disputes/{dispute['dispute_id']}")
    assert shown.status_code == 200
    assert shown.json() == dispute == wire.service.show(dispute["dispute_id"])


def test_delivered_as_confirmed_is_declined_and_moves_no_money(wire: Wire) -> None:
    wire.evidence.bundle = build_bundle(extra_events=FULFILLED)
    before = balances(wire.db)
    answer = open_as(wire.as_(KEYS["merchant"]), "the customer says it never came")
    assert answer.status_code == 201, answer.text
    dispute = answer.json()
    assert dispute["opener_role"] == "merchant"
    assert (dispute["decision"]["outcome"], dispute["decision"]["reason_code"]) == (
        "declined",
        "delivered-as-confirmed",
    )
    assert balances(wire.db) == before
    assert decision_records(wire.db)[0]["event_body"]["refund"] == "none"


def test_a_tampered_bundle_goes_to_review_which_cannot_be_appealed(wire: Wire) -> None:
    bundle = valid_bundle()
    head, payload, signature = bundle["receipt"].split(".")
    bundle["receipt"] = f"{head}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    wire.evidence.bundle = bundle
    before = balances(wire.db)
    alice = wire.as_(KEYS["delegator"])
    dispute = open_as(alice).json()
    assert (dispute["state"], dispute["decision"]["reason_code"]) == (
        "review",
        "evidence-tampered",
    )
    assert balances(wire.db) == before
    appeal = alice.post(f"/disputes/{dispute['dispute_id']}/appeal", json={"reason": "decide"})
    refused(appeal, "dispute-illegal-transition")
    assert wire.service.show(dispute["dispute_id"])["state"] == "review"


def test_the_merchant_appeals_the_decision_once(wire: Wire) -> None:
    dispute = open_as(wire.as_(KEYS["delegator"])).json()
    merchant = wire.as_(KEYS["merchant"])
    path = f"/disputes/{dispute['dispute_id']}/appeal"
    answer = merchant.post(path, json={"reason": "we did deliver"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["state"], answer.json()["appeal_reason"]) == (
        "appealed",
        "we did deliver",
    )
    refused(merchant.post(path, json={"reason": "again"}), "dispute-illegal-transition")
    refused(merchant.post(path, json={"reason": ""}), "dispute-request-invalid")
    nothing = merchant.post("/disputes/dsp_nothing/appeal", json={"reason": "x"})
    refused(nothing, "dispute-not-found")


def test_one_dispute_per_order_and_the_conflict_names_it(wire: Wire) -> None:
    first = open_as(wire.as_(KEYS["delegator"])).json()
    again = refused(open_as(wire.as_(KEYS["merchant"])), "dispute-already-open")
    assert again["dispute_id"] == first["dispute_id"]
    assert wire.disputes() == 1


def test_concurrent_opens_make_one_dispute(wire: Wire) -> None:
    answers: list[httpx.Response] = []
    start = threading.Barrier(4)

    def claim(key: SigningKey) -> None:
        client = wire.as_(key)
        start.wait()
        answers.append(open_as(client))

    keys = [KEYS["delegator"], KEYS["merchant"]] * 2
    threads = [threading.Thread(target=claim, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            refused(answer, "dispute-already-open")
    assert wire.disputes() == 1
    with wire.db.read() as s:
        assert len(s.scalars(select(RefundRow)).all()) == 1


def test_who_is_calling_is_proven_and_only_the_parties_may_open(wire: Wire) -> None:
    before = balances(wire.db)
    body = {"out_trade_no": ORDER, "reason": "refund me"}
    alice = wire.as_(KEYS["delegator"])
    request = alice.build_request("POST", "/disputes", json=body)
    assert alice.auth is not None
    signed = next(alice.auth.sync_auth_flow(request))
    headers = {k: v for k, v in signed.headers.items() if k.lower() != "content-length"}
    forged = dict(headers)
    forged["signature"] = forged["signature"][:-6] + "AAAA:"
    plain = wire.unsigned()
    refused(plain.post("/disputes", json=body), "signature-missing", ANY_SERVICE)
    refused(
        plain.post("/disputes", content=signed.content, headers=forged),
        "signature-invalid",
        ANY_SERVICE,
    )
    refused(
        plain.post(
            "/disputes",
            content=b'{"out_trade_no":"ord_1","reason":"x"}',
            headers=headers,
        ),
        "digest-mismatch",
        ANY_SERVICE,
    )
    refused(open_as(wire.as_(STRANGER)), "unknown-agent", ANY_SERVICE)
    # Signed by keys the directory knows, but not of a party of this payment.
    refused(open_as(wire.as_(MALLORY)), "dispute-forbidden")  # another person
    refused(open_as(wire.as_(OTHER_MERCHANT)), "dispute-forbidden")  # another merchant
    refused(open_as(wire.as_(KEYS["agent"])), "dispute-forbidden")  # an agent proves nobody
    refused(open_as(wire.as_(KEYS["psp"])), "dispute-forbidden")
    # The body cannot name the opener: the contract is closed, the signer decides.
    refused(
        wire.as_(MALLORY).post("/disputes", json=body | {"opened_by": ALICE}),
        "dispute-request-invalid",
    )
    assert wire.disputes() == 0
    # The signed request itself goes through once; its replay is refused.
    first = plain.post("/disputes", content=signed.content, headers=dict(signed.headers))
    assert first.status_code == 201, first.text
    replay = plain.post("/disputes", content=signed.content, headers=dict(signed.headers))
    refused(replay, "nonce-replayed", ANY_SERVICE)
    assert wire.disputes() == 1
    assert balances(wire.db) != before  # the one dispute refunded, the attacks nothing


def test_each_party_lists_and_reads_only_its_own(wire: Wire) -> None:
    dispute = open_as(wire.as_(KEYS["delegator"])).json()
    path = f"/disputes/{dispute['dispute_id']}"
    for key in (KEYS["delegator"], KEYS["merchant"]):
        client = wire.as_(key)
        assert client.get("/disputes").json() == {"disputes": [dispute]}
        assert client.get(path).json() == dispute
    for key in (MALLORY, OTHER_MERCHANT):
        client = wire.as_(key)
        listed = client.get("/disputes")
        assert (listed.status_code, listed.json()) == (200, {"disputes": []})
        refused(client.get(path), "dispute-not-found")  # someone else's looks like none
        refused(client.post(f"{path}/appeal", json={"reason": "mine"}), "dispute-not-found")
    refused(wire.as_(KEYS["agent"]).get("/disputes"), "dispute-forbidden")
    refused(wire.unsigned().get(path), "signature-missing", ANY_SERVICE)
    assert wire.service.show(dispute["dispute_id"])["state"] == "decided"  # nobody appealed


def test_bad_bodies_and_unpaid_orders_are_refused(wire: Wire) -> None:
    alice = wire.as_(KEYS["delegator"])
    refused(alice.post("/disputes", json={"out_trade_no": ORDER}), "dispute-request-invalid")
    refused(
        alice.post("/disputes", json={"out_trade_no": ORDER, "reason": "x" * 501}),
        "dispute-request-invalid",
    )
    refused(
        alice.post("/disputes", json={"out_trade_no": ORDER, "reason": " "}),
        "dispute-request-invalid",
    )
    refused(
        alice.post(
            "/disputes",
            content=b'{"out_trade_no": "ord_1", "reason": 1.5}',
            headers={"Content-Type": "application/json"},
        ),
        "malformed-json",
        ANY_SERVICE,
    )
    refused(
        alice.post("/disputes", json={"out_trade_no": "ord_nobody", "reason": "refund"}),
        "dispute-order-not-paid",
    )
    assert wire.disputes() == 0
