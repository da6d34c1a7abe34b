"""``trustcart verify FILE``: check an evidence bundle offline and print every check.

Exit status: 0 when every check holds; 1 when any fails (the first failing reason goes to
stderr); 2 when the bundle or the trusted-keys file cannot be read, is larger than 8 MiB, is
not UTF-8, nests deeper than 64 levels or is not JSON (one line on stderr).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trustcart.cli.app import app

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    from trustcart.crypto.keys import PublicKey

EXIT_FAILED = 1
EXIT_UNREADABLE = 2


def _load_trusted_keys(path: Path) -> dict[str, PublicKey]:
    from trustcart.crypto.errors import KeyFormatError
    from trustcart.crypto.keys import keys_from_jwks
    from trustcart.trust.errors import BundleFileError
    from trustcart.trust.evidence import load_bundle_file

    document = load_bundle_file(path)
    try:
        return keys_from_jwks(document)
    except KeyFormatError as e:
        raise BundleFileError(f"{path} is not a usable JWKS: {e}") from e


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="The evidence bundle (trustcart-evidence/1 JSON).")],
    trusted_keys: Annotated[
        Path | None,
        typer.Option("--trusted-keys", help="A JWKS file; every signing key must be in it."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify an evidence bundle offline: signatures, limits, events and log proofs."""
    from rich.console import Console
    from rich.table import Table

    from trustcart.trust.errors import BundleFileError
    from trustcart.trust.evidence import load_bundle_file, verify_bundle

    try:
        bundle = load_bundle_file(file)
        trusted = _load_trusted_keys(trusted_keys) if trusted_keys is not None else None
    except BundleFileError as e:
        typer.echo(f"error: {e}", err=True)  # one line, never wrapped
        raise typer.Exit(EXIT_UNREADABLE) from e
    report = verify_bundle(bundle, trusted_keys=trusted)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        table = Table(title=f"evidence {file.name}")
        table.add_column("check")
        table.add_column("result")
        table.add_column("detail", overflow="fold")
        for check in report.checks:
            mark = "[green]pass[/green]" if check.passed else "[red]FAIL[/red]"
            table.add_row(check.name, mark, check.detail)
        Console().print(table)
    if not report.ok:
        typer.echo(f"verification failed: {report.reason}", err=True)
        raise typer.Exit(EXIT_FAILED)
    if not as_json:
        Console().print("[green]all checks passed[/green]")
