"""``trustcart verify FILE [--trusted-keys ANCHORS]``: check an evidence bundle offline.

Prints every check, every key by party and TSD-ATT-SVF's result (``VERIFIED``, or the first of
its codes that failed, in the spec's order; ``ANCHOR_NOT_FOUND`` for a bundle without witness
anchors, which still verifies unless ``--require-anchor``). ``--witness-url`` also asks the
witness whether it still holds the anchor (``trust.witness_query``). Exit status:

    0  verified: every check holds against trust anchors that bind each key to its party and role
    1  refused: a check failed (the first failing reason goes to stderr), or the witness asked
       with ``--witness-url`` does not hold the bundle's anchor as the bundle shows it
    2  unusable input: the bundle or the anchors file cannot be read, is larger than 8 MiB,
       is not UTF-8, nests deeper than 64 levels or is not JSON, or the anchors file is not a
       trust-anchors document (a plain JWKS names no party or role); one line on stderr
    3  internally consistent only: every check holds, but no trust anchors were given, so
       nothing ties the bundle's keys to the parties they claim to be
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trustcart.cli.app import app

if TYPE_CHECKING:
    from trustcart.trust.evidence import VerificationReport

EXIT_VERIFIED = 0
EXIT_FAILED = 1
EXIT_UNREADABLE = 2
EXIT_UNANCHORED = 3


def _print_report(file: Path, report: VerificationReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    parties = Table(title="keys by party")
    for column in ("party", "role", "kid", "anchored"):
        parties.add_column(column)
    for signer in report.signers:
        parties.add_row(
            signer.party_id, signer.role, signer.kid[:16], "yes" if signer.anchored else "no"
        )
    console.print(parties)
    table = Table(title=f"evidence {file.name}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for check in report.checks:
        mark = "[green]pass[/green]" if check.passed else "[red]FAIL[/red]"
        table.add_row(check.name, mark, check.detail)
    console.print(table)
    console.print(f"TSD-ATT-SVF result: {report.svf}")


def _ask_witness(bundle: object, url: str) -> tuple[str, str]:
    import httpx

    from trustcart.trust.witness_client import HttpWitness
    from trustcart.trust.witness_query import query_witness

    if not isinstance(bundle, dict):
        return "ANCHOR_NOT_FOUND", "not a bundle"
    with httpx.Client(base_url=url) as client:
        result, detail = query_witness(bundle, HttpWitness(client))
    return result.value, detail


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="The evidence bundle (trustcart-evidence/1 JSON).")],
    trusted_keys: Annotated[
        Path | None,
        typer.Option(
            "--trusted-keys",
            help="A trust-anchors file (trustcart-trust-anchors/1): each key with its party "
            "and roles. Without it the bundle can only be internally consistent (exit 3).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    require_anchor: Annotated[
        bool,
        typer.Option(
            "--require-anchor",
            help="Refuse a bundle that carries no witness anchor (by default it verifies, "
            "reported 'not anchored', TSD-ATT-SVF ANCHOR_NOT_FOUND; docs/witness.md).",
        ),
    ] = False,
    witness_url: Annotated[
        str | None,
        typer.Option(
            "--witness-url",
            help="Also ask this witness (its base URL) whether it still holds the bundle's "
            "anchor (TSD-ATT-SVF step 5 online; exit 1 unless VERIFIED).",
        ),
    ] = None,
) -> None:
    """Verify an evidence bundle offline: keys by party, signatures, limits, events, proofs.

    Exit 0 verified against trust anchors, 1 refused, 2 unusable input, 3 internally
    consistent only (no anchors given).
    """
    from rich.console import Console

    from trustcart.trust.anchors import load_anchors_file
    from trustcart.trust.errors import BundleFileError
    from trustcart.trust.evidence import load_bundle_file, verify_bundle

    try:
        bundle = load_bundle_file(file)
        anchors = load_anchors_file(trusted_keys) if trusted_keys is not None else None
    except BundleFileError as e:  # AnchorsError included
        typer.echo(f"error: {e}", err=True)  # one line, never wrapped
        raise typer.Exit(EXIT_UNREADABLE) from e
    report = verify_bundle(bundle, anchors=anchors, require_anchor=require_anchor)
    online = _ask_witness(bundle, witness_url) if witness_url is not None else None
    if as_json:
        document = report.to_json()
        if online is not None:
            document["witness_query"] = {"result": online[0], "detail": online[1]}
        typer.echo(json.dumps(document, indent=2))
    else:
        _print_report(file, report)
        if online is not None:
            Console().print(f"witness {witness_url}: {online[0]} ({online[1]})")
    if online is not None and online[0] != "VERIFIED":
        typer.echo(f"witness query: {online[0]}: {online[1]}", err=True)
        raise typer.Exit(EXIT_FAILED)
    if not report.consistent:
        typer.echo(f"verification failed: {report.reason}", err=True)
        raise typer.Exit(EXIT_FAILED)
    if not report.ok:
        if not as_json:
            Console().print("[yellow]internally consistent only: NOT verified[/yellow]")
        typer.echo(f"not verified: {report.reason}", err=True)
        raise typer.Exit(EXIT_UNANCHORED)
    if not as_json:
        Console().print("[green]verified: every check holds against the trust anchors[/green]")
