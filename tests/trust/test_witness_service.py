"""The witness and the log's anchorer on SQLite and PostgreSQL, in process and over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401  (registers every command)
from tests.helpers.clock import T0
from trustcart.api.witness import create_witness_app
from trustcart.cli.app import app
from trustcart.core.clock import FixedClock
from trustcart.crypto.jws import peek_payload
from trustcart.crypto.keys import PublicKey, SigningKey
from trustcart.local.servers import Servers, free_port
from trustcart.store.db import Database
from trustcart.trust.anchoring import LogAnchorer
from trustcart.trust.chain_anchor import (
    AnchorClaims,
    anchor_for,
    sign_anchor,
    verify_receipt,
)
from trustcart.trust.errors import AnchorConflict, WitnessError
from trustcart.trust.log import TransparencyLog
from trustcart.trust.svf import SvfResult
from trustcart.trust.treehead import verify_tree_head
from trustcart.trust.witness import AnchorEntry, Witness, WitnessRefusal
from trustcart.trust.witness_client import HttpWitness
from trustcart.trust.witness_query import query_witness

LOG_KEY = SigningKey.generate()
WITNESS_KEY = SigningKey.generate()
LOG_ID = "log:trustcart"


def _submitters(kid: str) -> tuple[str, PublicKey] | None:
    return (LOG_ID, LOG_KEY.public) if kid == LOG_KEY.kid else None


def _witness_keys(kid: str) -> PublicKey | None:
    return WITNESS_KEY.public if kid == WITNESS_KEY.kid else None


class World:
    def __init__(self, db: Database) -> None:
        self.clock = FixedClock(T0)
        self.log = TransparencyLog(db, LOG_KEY, LOG_ID, self.clock)
        self.witness = Witness(db, WITNESS_KEY, "witness:trustcart", _submitters, self.clock)
        self.anchorer = LogAnchorer(
            db, self.log, LOG_KEY, self.witness, witness_keys=_witness_keys, clock=self.clock
        )

    def grow(self, n: int = 1) -> str:
        for i in range(n):
            self.log.append(f"leaf {self.log.size()} {i}".encode())
        self.clock.advance(timedelta(seconds=1))
        return self.log.sign_tree_head()

    def claims(self, token: str) -> AnchorClaims:
        return AnchorClaims.from_json(peek_payload(token))


@pytest.fixture
def world(db: Database) -> World:
    return World(db)


def test_anchorer_chains_each_new_head_and_skips_an_unchanged_one(world: World) -> None:
    world.grow(2)
    first = world.anchorer.anchor()
    assert first.created
    again = world.anchorer.anchor()  # no new leaf: covered by the last anchor
    assert again.anchor == first.anchor
    world.grow(3)
    second = world.anchorer.anchor()
    a, b = world.claims(first.anchor), world.claims(second.anchor)
    assert (a.tree_size, b.tree_size) == (2, 5)
    assert a.links_to(None)
    assert b.links_to(a)
    receipt = verify_receipt(second.receipt, {WITNESS_KEY.kid: WITNESS_KEY.public})
    assert (receipt.anchor_id, receipt.height) == ("log:trustcart/5", 1)


def test_duplicate_anchor_id_returns_the_existing_entry(world: World) -> None:
    head = verify_tree_head(world.grow(), {LOG_KEY.kid: LOG_KEY.public})
    claims = anchor_for(head, None, issued_at=T0)
    first = world.witness.submit(sign_anchor(claims, LOG_KEY))
    later = anchor_for(head, None, issued_at=T0 + timedelta(minutes=5))  # same content, new iat
    again = world.witness.submit(sign_anchor(later, LOG_KEY))
    assert first.created
    assert not again.created
    assert (again.anchor, again.receipt, again.height) == (first.anchor, first.receipt, 0)


def test_other_content_under_an_existing_anchor_id_is_refused(world: World) -> None:
    head = verify_tree_head(world.grow(), {LOG_KEY.kid: LOG_KEY.public})
    world.witness.submit(sign_anchor(anchor_for(head, None, issued_at=T0), LOG_KEY))
    forked = anchor_for(
        type(head)(head.log_id, head.tree_size, b"\x01" * 32, head.timestamp), None, issued_at=T0
    )
    with pytest.raises(AnchorConflict) as caught:
        world.witness.submit(sign_anchor(forked, LOG_KEY))
    assert caught.value.code == WitnessRefusal.ANCHOR_ID_CONFLICT
    held = world.witness.fetch("log:trustcart/1")
    assert held is not None
    assert (
        world.claims(held.anchor).root_hash
        == world.claims(sign_anchor(anchor_for(head, None, issued_at=T0), LOG_KEY)).root_hash
    )  # never overwritten


def test_anchor_that_skips_the_witnesses_latest_is_refused(world: World) -> None:
    world.grow()
    world.anchorer.anchor()
    head = verify_tree_head(world.grow(), {LOG_KEY.kid: LOG_KEY.public})
    rebased = anchor_for(head, None, issued_at=T0)  # claims to be the first anchor again
    with pytest.raises(WitnessError) as caught:
        world.witness.submit(sign_anchor(rebased, LOG_KEY))
    assert caught.value.code == WitnessRefusal.ANCHOR_CHAIN_BROKEN


def test_a_witness_that_dropped_an_anchor_refuses_the_next_one(db: Database) -> None:
    world = World(db)
    world.grow()
    world.anchorer.anchor()
    amnesiac = World(db)  # same log, a fresh witness store would not know anchor 1 ...
    from trustcart.store.witness import WitnessAnchorRow

    with db.transaction() as session:  # ... simulated: the witness loses its only entry
        session.query(WitnessAnchorRow).delete()
    amnesiac.grow()
    with pytest.raises(WitnessError) as caught:
        world.anchorer.anchor()  # the log chains to its own last anchor
    assert caught.value.code == WitnessRefusal.ANCHOR_CHAIN_BROKEN


@pytest.mark.parametrize(
    ("signer", "code"),
    [
        (SigningKey.generate(), WitnessRefusal.ANCHOR_SUBMITTER_UNKNOWN),
        (WITNESS_KEY, WitnessRefusal.ANCHOR_SUBMITTER_UNKNOWN),
    ],
)
def test_anchor_not_signed_by_a_known_log_key_is_refused(
    world: World, signer: SigningKey, code: str
) -> None:
    head = verify_tree_head(world.grow(), {LOG_KEY.kid: LOG_KEY.public})
    with pytest.raises(WitnessError) as caught:
        world.witness.submit(sign_anchor(anchor_for(head, None, issued_at=T0), signer))
    assert caught.value.code == code
    assert world.witness.fetch("log:trustcart/1") is None


def test_tampered_anchor_is_refused(world: World) -> None:
    head = verify_tree_head(world.grow(), {LOG_KEY.kid: LOG_KEY.public})
    token = sign_anchor(anchor_for(head, None, issued_at=T0), LOG_KEY)
    header, payload, signature = token.split(".")
    with pytest.raises(WitnessError) as caught:
        world.witness.submit(f"{header}.{payload[:-2]}AA.{signature}")
    assert caught.value.code == WitnessRefusal.ANCHOR_SIGNATURE_INVALID
    with pytest.raises(WitnessError):
        world.witness.submit("not a jws")


def test_anchorer_refuses_a_witness_that_answers_with_something_else(world: World) -> None:
    class Liar:
        def submit(self, anchor: str) -> AnchorEntry:
            entry = world.witness.submit(anchor)
            other = world.witness.fetch("log:trustcart/1")
            assert other is not None
            return AnchorEntry(entry.anchor, other.receipt, entry.height, True)

        def fetch(self, anchor_id: str) -> AnchorEntry | None:
            return None

    world.grow()
    world.anchorer.anchor()
    world.grow()
    liar = LogAnchorer(
        world.log.db, world.log, LOG_KEY, Liar(), witness_keys=_witness_keys, clock=world.clock
    )
    with pytest.raises(WitnessError) as caught:
        liar.anchor()
    assert caught.value.code == WitnessRefusal.WITNESS_RECEIPT_INVALID


def test_racing_submissions_get_consecutive_heights(db: Database) -> None:
    worlds = [World(db) for _ in range(2)]
    worlds[0].grow(2)
    errors: list[BaseException] = []
    results: list[AnchorEntry] = []

    def run(world: World) -> None:
        try:
            results.append(world.anchorer.anchor())
        except BaseException as e:  # collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(w,)) for w in worlds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {r.anchor for r in results} == {results[0].anchor}  # one anchor, returned twice


def test_bundle_anchors_carry_the_previous_anchor_and_a_consistency_proof(world: World) -> None:
    world.grow()
    world.anchorer.anchor()
    old_head = world.grow(2)
    world.anchorer.anchor()  # anchors size 3
    entries = world.anchorer.bundle_anchors(old_head)
    assert len(entries) == 2
    assert "consistency_proof" not in entries[-1]
    world.grow(4)
    world.anchorer.anchor()  # anchors size 7: the old head is covered by extension
    entries = world.anchorer.bundle_anchors(old_head)
    assert world.claims(entries[-1]["anchor"]).tree_size == 7
    assert entries[-1]["consistency_proof"]


# -- over real HTTP on loopback ------------------------------------------------------------------


@pytest.fixture
def served(world: World) -> Iterator[tuple[World, str]]:
    port = free_port()
    with Servers({"witness": create_witness_app(world.witness)}, {"witness": port}):
        yield world, f"http://127.0.0.1:{port}"


def test_witness_over_http(served: tuple[World, str]) -> None:
    world, base = served
    head = verify_tree_head(world.grow(), {LOG_KEY.kid: LOG_KEY.public})
    token = sign_anchor(anchor_for(head, None, issued_at=T0), LOG_KEY)
    with httpx.Client(base_url=base) as client:
        created = client.post("/anchors", json={"anchor": token})
        assert created.status_code == 201
        again = client.post("/anchors", json={"anchor": token})
        assert again.status_code == 200
        assert again.json() == created.json()
        fetched = client.get("/anchors/log%3Atrustcart%2F1")
        assert fetched.status_code == 200
        assert fetched.json()["anchor"] == token
        missing = client.get("/anchors/log%3Atrustcart%2F99")
        assert missing.status_code == 404
        assert missing.json()["code"] == "anchor-not-found"
        forged = sign_anchor(anchor_for(head, None, issued_at=T0), SigningKey.generate())
        refused = client.post("/anchors", json={"anchor": forged})
        assert refused.status_code == 401
        assert refused.json()["code"] == "anchor-submitter-unknown"
        assert client.post("/anchors", json={"record": token}).status_code == 400
        keys: dict[str, Any] = client.get("/.well-known/jwks.json").json()
        assert [k["kid"] for k in keys["keys"]] == [WITNESS_KEY.kid]


def test_anchorer_over_http_client(served: tuple[World, str]) -> None:
    world, base = served
    with httpx.Client(base_url=base) as client:
        remote = LogAnchorer(
            world.log.db,
            world.log,
            LOG_KEY,
            HttpWitness(client),
            witness_keys=_witness_keys,
            clock=world.clock,
        )
        world.grow()
        entry = remote.anchor()
        assert entry.created
        world.grow()
        assert world.claims(remote.anchor().anchor).prev_anchor_id == "log:trustcart/1"
        assert HttpWitness(client).fetch("log:trustcart/2") is not None
        assert HttpWitness(client).fetch("nope") is None


def test_unreachable_witness_is_witness_unavailable() -> None:
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{free_port()}") as client,
        pytest.raises(WitnessError) as caught,
    ):
        HttpWitness(client, retries=0).fetch("log:trustcart/1")
    assert caught.value.code == WitnessRefusal.WITNESS_UNAVAILABLE


# -- SVF step 5 online (trustcart verify --witness-url) --------------------------------------


def test_query_witness_over_http(served: tuple[World, str], db: Database) -> None:
    world, base = served
    old_head = world.grow()
    bundle = {"anchors": world.anchorer.bundle_anchors(old_head)}
    with httpx.Client(base_url=base) as client:
        witness = HttpWitness(client)
        assert query_witness(bundle, witness)[0] is SvfResult.VERIFIED
        assert query_witness({}, witness)[0] is SvfResult.ANCHOR_NOT_FOUND
        from trustcart.store.witness import WitnessAnchorRow

        other = anchor_for(
            verify_tree_head(world.grow(), {LOG_KEY.kid: LOG_KEY.public}), None, issued_at=T0
        )
        with db.transaction() as session:  # the witness rewrites what it holds ...
            row = session.get(WitnessAnchorRow, "log:trustcart/1")
            assert row is not None
            row.anchor_jws = sign_anchor(other, LOG_KEY)
        assert query_witness(bundle, witness)[0] is SvfResult.CHAIN_HASH_MISMATCH
        with db.transaction() as session:  # ... or drops it
            session.query(WitnessAnchorRow).delete()
        assert query_witness(bundle, witness)[0] is SvfResult.ANCHOR_NOT_FOUND
    with httpx.Client(base_url=f"http://127.0.0.1:{free_port()}") as gone:
        result, _ = query_witness(bundle, HttpWitness(gone, retries=0))
    assert result is SvfResult.ANCHOR_QUERY_TIMEOUT


def test_verify_command_asks_the_witness(served: tuple[World, str], tmp_path: Path) -> None:
    world, base = served
    bundle = {"anchors": world.anchorer.bundle_anchors(world.grow())}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = CliRunner().invoke(app, ["verify", str(path), "--witness-url", base, "--json"])
    assert result.exit_code == 1  # not a purchase bundle: its checks fail ...
    report = json.loads(result.output[: result.output.rindex("}") + 1])
    assert report["witness_query"]["result"] == "VERIFIED"  # ... but the witness holds it


def test_anchorer_rebuilds_on_top_of_a_racing_anchor(world: World) -> None:
    world.grow()
    other = LogAnchorer(
        world.log.db,
        world.log,
        LOG_KEY,
        world.witness,
        witness_keys=_witness_keys,
        clock=world.clock,
    )

    class Racing:
        raced = False

        def submit(self, anchor: str) -> AnchorEntry:
            if not self.raced:  # another process anchors a newer head first
                self.raced = True
                world.grow()
                other.anchor()
            return world.witness.submit(anchor)

        def fetch(self, anchor_id: str) -> AnchorEntry | None:
            return world.witness.fetch(anchor_id)

    racing = LogAnchorer(
        world.log.db, world.log, LOG_KEY, Racing(), witness_keys=_witness_keys, clock=world.clock
    )
    entry = racing.anchor(world.log.sign_tree_head())
    assert world.claims(entry.anchor).anchor_id == "log:trustcart/2"  # covered by the winner's
    world.grow()
    assert world.claims(racing.anchor().anchor).prev_anchor_id == "log:trustcart/2"


def test_evidence_is_written_unanchored_when_the_witness_refuses(tmp_path: Path) -> None:
    from types import SimpleNamespace
    from typing import cast

    from trustcart.local.deployment import Deployment
    from trustcart.local.witness import anchor_evidence

    def refuse(bundle: Any, witness_id: str) -> Any:
        raise WitnessError(WitnessRefusal.WITNESS_UNAVAILABLE, "down")

    fake = SimpleNamespace(witness=SimpleNamespace(anchorer=SimpleNamespace(attach=refuse)))
    bundle = {"tree_head": "x"}
    assert anchor_evidence(cast(Deployment, fake), bundle) == {"tree_head": "x"}
