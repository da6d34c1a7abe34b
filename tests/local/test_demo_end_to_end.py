"""The whole demo on SQLite and PostgreSQL: real servers on loopback, real signatures, and
evidence that verifies offline and stops verifying when any signed value changes."""

import base64
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401 - registers every command
from trustcart.cli.app import app
from trustcart.crypto.jws import peek_payload
from trustcart.local.demo import run_demo
from trustcart.payments.ledger_store import check_balanced
from trustcart.store.base import Base
from trustcart.store.db import Database
from trustcart.trust.anchors import load_anchors_file
from trustcart.trust.basket_record import verify_basket_record


@pytest.fixture
def demo_run(db: Database, tmp_path: Path) -> tuple[Path, list[tuple[str, str]], Database]:
    """The demo's evidence folder, its refusals (code, reason), and its store."""
    Base.metadata.drop_all(db.engine)  # run_demo migrates from an empty database itself
    out = tmp_path / "out"
    with (tmp_path / "demo.txt").open("w") as transcript:
        console = Console(file=transcript, width=120)
        result = run_demo(home=tmp_path / "home", database_url=db.url, out=out, console=console)
    assert result.ok, (tmp_path / "demo.txt").read_text()
    # L3: the agent's self-check and the PSP each name the failing stage.
    assert result.stages == [
        ("aup-self-check-failed", "budget"),
        ("over-budget", "budget"),
        ("aup-self-check-failed", "mode"),
        ("aup-not-bounded", "mode"),
    ]
    # The dispute scene: delivered as confirmed, so the claim is declined from the evidence.
    assert result.disputes == [("declined", "delivered-as-confirmed")]
    return out / "evidence", result.refusals, db


def _tamper_signed_value(token: str) -> str:
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=="))
    key = sorted(k for k, v in decoded.items() if isinstance(v, str))[0]
    decoded[key] = decoded[key] + "x"
    forged = (
        base64.urlsafe_b64encode(
            json.dumps(decoded, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
        )
        .decode()
        .rstrip("=")
    )
    return f"{header}.{forged}.{signature}"


def by_kind(bundles: list[Path], kind: str) -> list[Path]:
    """The demo's bundles of one scene (``NN-<kind>-<order>.json``), in the order written."""
    return [p for p in bundles if p.name.split("-")[1] == kind]


def test_demo_end_to_end(demo_run: tuple[Path, list[tuple[str, str]], Database]) -> None:
    evidence, refusals, db = demo_run
    bundles = sorted(evidence.glob("[0-9][0-9]-*.json"))
    kinds = [p.name.split("-")[1] for p in bundles]
    assert kinds == [
        *("instant", "delegated", "delegated", "autonomous", "autonomous", "ucp"),
        "acp",  # the ACP scene's checkout under an IAC (local.demo_acp)
        *("basket", "basket"),  # two merchants' carts under one IAC, one approval (demo_basket)
        "standing",  # local.demo_standing: one standing-order period
        "risk",  # local.demo_risk: the PSP's step-up, answered by Alice at L1
        "dispute",  # the first order again, with its dispute's decision (demo_disputes)
    ]
    codes = [code for code, _ in refusals]
    assert codes == [
        *("over-total-budget", "over-budget", "iac-revoked", "iac-revoked"),
        *("aup-self-check-failed", "over-budget", "aup-self-check-failed", "aup-not-bounded"),
        "payment_declined",  # the ACP scene: a one-time vault token reused (local.demo_acp)
        "over-budget",  # the basket scene: a second basket past the cap, refused whole
        "over-period-cap",  # the standing-order scene: a second purchase in the period
    ]
    assert "token-already-used" in refusals[codes.index("payment_declined")][1]
    # Each basket order is an L2 payment under the one BOUNDED IAC; the record of the whole
    # (the approval over the set) verifies against the demo's anchors.
    basket_bundles = [json.loads(p.read_text()) for p in by_kind(bundles, "basket")]
    assert len({peek_payload(b["receipt"])["merchant_id"] for b in basket_bundles}) == 2
    assert len({b["iac"] for b in basket_bundles}) == 1
    assert all(peek_payload(b["receipt"])["mode"] == "L2" for b in basket_bundles)
    (record_path,) = evidence.glob("basket-*.json")
    record = json.loads(record_path.read_text())
    anchors = load_anchors_file(evidence / "trusted-keys.json")
    assert verify_basket_record(record, anchors).ok
    assert sorted(record["receipts"]) == sorted(b["receipt"] for b in basket_bundles)
    for autonomous in by_kind(bundles, "autonomous"):
        bundle = json.loads(autonomous.read_text())
        assert bundle["approval"] is None
        assert peek_payload(bundle["receipt"])["mode"] == "L3"
    (acp_path,) = by_kind(bundles, "acp")
    acp = json.loads(acp_path.read_text())  # paid on the provider's ACT path (docs/acp.md)
    assert peek_payload(acp["receipt"])["mode"] == "L2"
    events = {peek_payload(e["record"])["event_type"] for e in acp["events"]}
    assert {"act:commerce:cart-confirmed", "act:payment:transaction-completed"} <= events
    (disputed,) = by_kind(bundles, "dispute")
    records = [peek_payload(e["record"]) for e in json.loads(disputed.read_text())["events"]]
    assert [
        r["event_body"]["reason_code"]
        for r in records
        if r["event_type"] == "act:commerce:decision-logged"
        and r["participants"][0]["role"] == "psp"
    ] == ["delivered-as-confirmed"]  # the dispute's decision, in the bundle that verifies
    (stepped_up_path,) = by_kind(bundles, "risk")
    stepped_up = json.loads(stepped_up_path.read_text())
    assert stepped_up["approval"] is not None  # Alice approved exactly this cart
    assert peek_payload(stepped_up["receipt"])["mode"] == "L1"
    with db.transaction() as session:
        check_balanced(session)

    runner = CliRunner()
    trusted = str(evidence / "trusted-keys.json")
    for bundle in bundles:
        result = runner.invoke(app, ["verify", str(bundle), "--trusted-keys", trusted])
        assert result.exit_code == 0, result.output
        # Every bundle is anchored into the witness (docs/witness.md): TSD-ATT-SVF VERIFIED.
        anchored = runner.invoke(
            app, ["verify", str(bundle), "--trusted-keys", trusted, "--require-anchor", "--json"]
        )
        assert anchored.exit_code == 0, anchored.output
        assert json.loads(anchored.output)["svf"]["result"] == "VERIFIED"
        assert len(json.loads(bundle.read_text())["anchors"]) in (1, 2)
    unanchored = json.loads(bundles[0].read_text())
    del unanchored["anchors"]
    path = evidence / "unanchored.json"
    path.write_text(json.dumps(unanchored))
    result = runner.invoke(app, ["verify", str(path), "--trusted-keys", trusted, "--json"])
    assert result.exit_code == 0, result.output  # an old bundle still verifies ...
    assert json.loads(result.output)["svf"]["result"] == "ANCHOR_NOT_FOUND"  # ... not anchored
    refused = ["verify", str(path), "--trusted-keys", trusted, "--require-anchor"]
    assert runner.invoke(app, refused).exit_code == 1

    original = json.loads(bundles[0].read_text())
    for field in ("iac", "status", "cart", "approval", "receipt", "tree_head"):
        forged = dict(original)
        forged[field] = _tamper_signed_value(original[field])
        path = evidence / f"forged-{field}.json"
        path.write_text(json.dumps(forged))
        result = runner.invoke(app, ["verify", str(path), "--trusted-keys", trusted])
        assert result.exit_code == 1, field
    for part in ("anchor", "receipt"):
        forged = json.loads(json.dumps(original))
        forged["anchors"][-1][part] = _tamper_signed_value(original["anchors"][-1][part])
        path = evidence / f"forged-{part}.json"
        path.write_text(json.dumps(forged))
        result = runner.invoke(app, ["verify", str(path), "--trusted-keys", trusted, "--json"])
        assert result.exit_code == 1, part
        report = result.output[: result.output.rindex("}") + 1]  # stderr follows the JSON
        assert json.loads(report)["svf"]["result"] == "SIGNATURE_INVALID"
    forged = json.loads(bundles[1].read_text())
    forged["events"][0]["record"] = _tamper_signed_value(forged["events"][0]["record"])
    path = evidence / "forged-event.json"
    path.write_text(json.dumps(forged))
    assert runner.invoke(app, ["verify", str(path)]).exit_code == 1
