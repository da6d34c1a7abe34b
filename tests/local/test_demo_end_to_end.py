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


def test_demo_end_to_end(demo_run: tuple[Path, list[tuple[str, str]], Database]) -> None:
    evidence, refusals, db = demo_run
    bundles = sorted(evidence.glob("0*.json"))
    kinds = [p.name.split("-")[1] for p in bundles]
    assert kinds == ["instant", "delegated", "delegated", "autonomous", "autonomous", "ucp"]
    codes = [code for code, _ in refusals]
    assert codes == [
        *("over-total-budget", "over-budget", "iac-revoked", "iac-revoked"),
        *("aup-self-check-failed", "over-budget", "aup-self-check-failed", "aup-not-bounded"),
        "payment_declined",  # the ACP scene: a one-time vault token reused (local.demo_acp)
    ]
    assert "token-already-used" in refusals[-1][1]
    for autonomous in bundles[3:5]:
        bundle = json.loads(autonomous.read_text())
        assert bundle["approval"] is None
        assert peek_payload(bundle["receipt"])["mode"] == "L3"
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
