"""``trustcart serve --workers N``: N real worker processes on one store, over real HTTP.

One installation per database (SQLite file, PostgreSQL), served by two uvicorn workers
(``local.worker_pool``, uvicorn's own supervisor); every response names the worker that gave it
(``trustcart-worker``), so each check can make sure its requests reached both workers:

1. a signed request answered by one worker, sent again to the other, is refused as a replay
   (the nonce cache is the store's);
2. payments against one IAC, sent at once through both workers, never spend past its total
   budget: exactly as many are paid as the budget holds, the rest refused ``over-budget``, and
   the wallet's balance falls by what was paid and nothing more;
3. records appended through both workers (the agent's events, and what the PSP workers owe)
   form one tree: consecutive indexes, every signed head verifies and is consistent with the
   next, and every worker serves the same current head;
4. a merchant onboarded in the parent while serving is published by every worker within
   seconds (``local.key_sync``);
5. a worker killed with SIGKILL is reported and a new one started in its place; SIGTERM to the
   supervisor stops every process it started.

Starting two workers costs seconds (each imports and builds the installation), so one test per
database does all five, in that order: marked slow.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.web import MERCHANT_FORM
from tests.helpers.workers import (
    WorkerInstallation,
    milk_tea_context,
    worker_installation,
    worker_of,
)
from trustcart.assistant.offers import ConfirmedCart
from trustcart.commerce.onboarding import MerchantApplication
from trustcart.core.money import Money
from trustcart.core.problem import CommonProblem
from trustcart.local import persona
from trustcart.local.deployment import AGENT_ID
from trustcart.local.onboarding import onboard_merchant
from trustcart.payments.errors import PaymentProblem
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.merkle import (
    consistency_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
)
from trustcart.trust.recorder import HttpRecorder
from trustcart.trust.treehead import verify_tree_head

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

WORKERS = 2
STANDING_ORDER = "up to 10 milk teas this week, at most 30 CNY each, 80 CNY in total"
PAYMENTS = 8
RECORDS = 8
TRIES = 200  # new connections until the kernel gives one to the worker wanted


def clients_on_every_worker(
    shop: WorkerInstallation, role: str, per_worker: int, *, signed: bool
) -> list[httpx.Client]:
    """``per_worker`` kept-alive clients on each worker's connection to ``role``."""
    wanted = dict.fromkeys(shop.pool.worker_ids, per_worker)
    found: list[httpx.Client] = []
    for _ in range(TRIES * WORKERS):
        if not any(wanted.values()):
            return found
        client = (
            shop.deployment.agent_client(shop.url(role))
            if signed
            else httpx.Client(base_url=shop.url(role), timeout=10.0)
        )
        worker = worker_of(client.get("/.well-known/jwks.json"))
        if wanted.get(worker, 0) > 0:
            wanted[worker] -= 1
            found.append(client)
        else:
            client.close()
    raise AssertionError(f"could not reach every worker: still wanted {wanted}")


def check_replay_refused_by_another_worker(shop: WorkerInstallation) -> None:
    signer = shop.deployment.agent_client(shop.url("merchant"))
    body = {"request_id": "xfr_replayed", "agent_id": AGENT_ID, "context": milk_tea_context()}
    request = signer.build_request("POST", "/intent-context", json=body)
    signed = next(signer.auth.auth_flow(request))  # type: ignore[union-attr]
    signer.close()
    with httpx.Client(timeout=10.0) as first:
        answered = first.send(signed)
    assert answered.status_code == 200, answered.text
    other_workers: set[str] = set()
    for _ in range(TRIES):
        with httpx.Client(timeout=10.0) as again:  # a new connection: any worker may take it
            replayed = again.send(signed)
        assert replayed.status_code == 401, replayed.text
        assert replayed.json()["code"] == CommonProblem.NONCE_REPLAYED
        if worker_of(replayed) != worker_of(answered):
            other_workers.add(worker_of(replayed))
            break
    assert other_workers, "every replay went to the worker that answered first"


def check_parallel_payments_never_overspend(shop: WorkerInstallation) -> None:
    delegation = shop.delegation(STANDING_ORDER)
    offer = shop.milk_tea(delegation, most="30.00")
    budget = Money.parse("80.00", "CNY")
    affordable = budget.minor // offer.total.minor
    assert 2 <= affordable < PAYMENTS
    carts = shop.confirmed_carts(offer, delegation, PAYMENTS)
    before = shop.deployment.psp.balance(persona.ACCOUNT_ID)
    clients = clients_on_every_worker(shop, "psp", PAYMENTS // WORKERS, signed=True)
    try:

        def pay(pair: tuple[httpx.Client, ConfirmedCart]) -> httpx.Response:
            client, cart = pair
            return shop.pay_with(client, delegation, cart)

        with ThreadPoolExecutor(PAYMENTS) as pool:
            answers = list(pool.map(pay, zip(clients, carts, strict=True)))
    finally:
        for client in clients:
            client.close()
    paid = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    assert {worker_of(a) for a in answers} == shop.pool.worker_ids
    assert len(paid) == affordable, [a.text for a in refused]
    assert {(a.status_code, a.json()["code"]) for a in refused} == {
        (403, PaymentProblem.OVER_BUDGET)
    }
    spent = before.minor - shop.deployment.psp.balance(persona.ACCOUNT_ID).minor
    assert spent == affordable * offer.total.minor <= budget.minor


def check_one_tree(shop: WorkerInstallation) -> None:
    d = shop.deployment
    delegation = next(iter(shop.tools.delegations.values()))
    chain = Chain(intent_id=delegation.iac.intent_id, delegation_id=delegation.iac.delegation_id)
    me = Participant("agent", AGENT_ID, d.agent_key.kid)
    clients = clients_on_every_worker(shop, "trust", RECORDS // WORKERS, signed=False)
    workers_seen: set[str] = set()

    def record(client: httpx.Client) -> None:
        client.event_hooks["response"] = [lambda r: workers_seen.add(worker_of(r))]
        HttpRecorder(client, d.clock)(
            EventType.DECISION_LOGGED,
            chain,
            [me],
            {"candidates": 1, "rule": "workers test", "decided_at": d.clock.now().isoformat()},
            d.agent_key,
        )

    try:
        with ThreadPoolExecutor(RECORDS) as pool:
            list(pool.map(record, clients))
    finally:
        for client in clients:
            client.close()
    assert workers_seen == shop.pool.worker_ids
    d.relay.run_now()  # what the payments owe, through the workers too
    size = d.log.size()
    hashes = [leaf_hash(d.log.leaf(i)) for i in range(size)]
    keys = {d.log.public_key.kid: d.log.public_key}
    heads = [verify_tree_head(token, keys) for token in d.log.signed_tree_heads()]
    assert heads[-1].tree_size == size >= RECORDS + 2
    for head in heads:
        assert head.root_hash == root_from_leaf_hashes(hashes[: head.tree_size])
    for older, newer in itertools.pairwise(heads):
        assert older.tree_size <= newer.tree_size  # signed in append order
        proof = consistency_proof(hashes[: newer.tree_size], older.tree_size)
        verify_consistency(
            older.tree_size, newer.tree_size, older.root_hash, newer.root_hash, proof
        )
    current: dict[str, int] = {}
    for _ in range(TRIES):
        with httpx.Client(base_url=shop.url("trust"), timeout=10.0) as reader:
            answer = reader.get("/tree-head")
        current[worker_of(answer)] = verify_tree_head(answer.json()["tree_head"], keys).tree_size
        if set(current) == shop.pool.worker_ids:
            break
    assert current == dict.fromkeys(shop.pool.worker_ids, size)


def supervised_pids(shop: WorkerInstallation) -> set[int]:
    """The supervisor's child processes (Linux: /proc), its resource tracker among them."""
    pid = shop.pool.pid
    assert pid is not None
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    return {int(child) for child in children.split()}


def check_dead_worker_replaced(shop: WorkerInstallation) -> set[int]:
    """SIGKILL one worker: the supervisor reports it and starts another process at once."""
    victim = int(sorted(shop.pool.worker_ids)[0])
    before = supervised_pids(shop)
    assert {int(w) for w in shop.pool.worker_ids} <= before
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        started = supervised_pids(shop) - before
        if started and f"Child process [{victim}] died" in shop.pool.log_tail(200):
            return (before - {victim}) | started
        time.sleep(0.1)
    raise AssertionError(shop.pool.log_tail())


def check_keys_registered_while_serving_are_followed(shop: WorkerInstallation) -> None:
    """A merchant onboarded in the parent while serving: every worker publishes its key soon."""
    parent = shop.deployment
    fields: dict[str, Any] = {k: v for k, v in MERCHANT_FORM.items() if k != "currency"}
    onboarded = onboard_merchant(
        parent.db, parent.keys, MerchantApplication.parse(**fields), now=parent.clock.now(),
        deployment=parent,
    )  # fmt: skip
    clients = clients_on_every_worker(shop, "merchant", 1, signed=False)
    try:
        deadline = time.monotonic() + 20  # the follower ticks every second
        waiting = set(range(len(clients)))
        while waiting and time.monotonic() < deadline:
            for i in sorted(waiting):
                keys = clients[i].get("/.well-known/jwks.json").json()["keys"]
                if onboarded.kid in {key["kid"] for key in keys}:
                    waiting.discard(i)
            time.sleep(0.2)
        assert not waiting, shop.pool.log_tail()
    finally:
        for client in clients:
            client.close()


def test_workers_share_one_installation(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    home.mkdir()
    with worker_installation(db, home, WORKERS) as shop:
        assert len(shop.pool.worker_ids) == WORKERS
        check_replay_refused_by_another_worker(shop)
        check_parallel_payments_never_overspend(shop)
        check_one_tree(shop)
        check_keys_registered_while_serving_are_followed(shop)
        alive = check_dead_worker_replaced(shop)
    deadline = time.monotonic() + 30  # SIGTERM to the supervisor stops all it started
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if _running(pid)}
        time.sleep(0.1)
    assert not alive


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
