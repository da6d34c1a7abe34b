"""``trustcart tryon PERSON PRODUCT --category ... -o OUT.png``: virtual try-on from the shell.

Exit status: 0 with the image written; 2 when a photo or product image cannot be used (the
reason, with its stable code, goes to stderr) or the ``tryon`` extra is not installed.
``trustcart tryon-samples DIR`` writes sample inputs (a person photo and drawn products).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from trustcart.cli.app import app

EXIT_UNUSABLE = 2


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        typer.echo(f"error: cannot read the {what} {path}: {e.strerror}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from e


@app.command()
def tryon(  # noqa: PLR0917 - Typer maps each parameter to an argument or option
    person: Annotated[Path, typer.Argument(help="Photo of the shopper (PNG, JPEG or WebP).")],
    product: Annotated[Path, typer.Argument(help="Product image on a plain background.")],
    category: Annotated[str, typer.Option("--category", "-c", help="upper, eyewear or headwear.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the PNG.")],
    backend: Annotated[
        str | None,
        typer.Option(
            help="Back end by name (default: a local generative one if available, else classical)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Show a product on a person's photo (an approximate preview, offline)."""
    from trustcart.core.errors import ValidationError
    from trustcart.tryon.backends import TryOnService
    from trustcart.tryon.errors import TryOnError
    from trustcart.tryon.types import Category, TryOnRequest

    try:
        chosen = Category(category)
    except ValueError as e:
        raise typer.BadParameter(
            "choose upper, eyewear or headwear", param_hint="--category"
        ) from e
    try:
        request = TryOnRequest(_read(person, "photo"), _read(product, "product image"), chosen)
        result = TryOnService().try_on(request, backend=backend)
    except (TryOnError, ValidationError) as e:
        code = getattr(e, "code", "invalid-request")
        typer.echo(f"error [{code}]: {e}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from e
    try:
        output.write_bytes(result.image_png)
    except OSError as e:
        typer.echo(f"error: cannot write {output}: {e.strerror}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from e
    if as_json:
        typer.echo(json.dumps({"output": str(output), **result.to_json()}, indent=2))
        return
    typer.echo(
        f"wrote {output} ({result.width}x{result.height}, {result.backend}); "
        f"product drawn in {result.region.to_json()}"
    )
    if result.approximate:
        typer.echo(result.notice)


@app.command("tryon-samples")
def tryon_samples(
    directory: Annotated[Path, typer.Argument(help="Folder to write the sample images into.")],
) -> None:
    """Write sample try-on inputs: astronaut.png, tshirt.png, glasses.png, cap.png."""
    from trustcart.tryon.errors import TryOnError
    from trustcart.tryon.samples import draw_cap, draw_glasses, draw_tshirt, person_photo

    try:
        files = {
            "astronaut.png": person_photo("astronaut"),
            "tshirt.png": draw_tshirt(),
            "glasses.png": draw_glasses(),
            "cap.png": draw_cap(),
        }
    except TryOnError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from e
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (directory / name).write_bytes(data)
            typer.echo(str(directory / name))
    except OSError as e:
        typer.echo(f"error: cannot write to {directory}: {e.strerror or e}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from e
