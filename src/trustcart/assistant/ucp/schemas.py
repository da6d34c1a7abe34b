"""The pinned UCP 2026-04-08 schemas, shipped with the package.

Strategy: the schemas come from ``$TRUSTCART_CONFORMANCE_DIR/ucp/source/schemas`` when that is
set, else from the package's own copy (``assistant/ucp/pinned/``: the same files, Apache-2.0,
with UCP's LICENSE and SOURCE; ``tests/core/test_pinned_copies.py`` checks it byte for byte
against ``../shared/conformance``), so the platform works in any checkout or wheel. All are
registered under their ``$id`` base (``https://ucp.dev/schemas/``) so ``$ref`` resolves
offline; a validator per reference is built once. Rules: every answer of a business is
validated before anything reads it (``require``); a checkout is validated with the discount,
fulfillment and AP2 mandate extensions, as UCP composes them; a missing schema folder is
``ucp-schemas-missing`` (fail closed), never a silent pass.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from trustcart.assistant.ucp.errors import AnswerRejected, UcpCode
from trustcart.core import pinned

ENV_VAR = pinned.ENV_VAR
BASE = "https://ucp.dev/schemas/"
PROFILE = "ucp.json#/$defs/business_schema"
SEARCH_RESPONSE = "shopping/catalog_search.json#/$defs/search_response"
LOOKUP_RESPONSE = "shopping/catalog_lookup.json#/$defs/lookup_response"
ERROR_RESPONSE = "shopping/types/error_response.json"
CHECKOUT_EXTENSIONS = (
    "shopping/discount.json",
    "shopping/fulfillment.json",
    "shopping/ap2_mandate.json",
)


PACKAGED = Path(__file__).resolve().parent / "pinned" / "schemas"


def schema_dir() -> Path:
    """``$TRUSTCART_CONFORMANCE_DIR/ucp/source/schemas`` when set, else the packaged copy."""
    return pinned.pinned_dir(PurePosixPath("ucp/source/schemas"), PACKAGED)


@cache
def _registry(root: Path) -> Registry[Any]:
    if not root.is_dir():
        raise FileNotFoundError(f"the pinned UCP schemas are not at {root}")
    resources = [
        (BASE + path.relative_to(root).as_posix(), Resource.from_contents(json.loads(
            path.read_text("utf-8")), DRAFT202012))
        for path in sorted(root.rglob("*.json"))
    ]  # fmt: skip
    return Registry().with_resources(resources)


@cache
def _validator(root: Path, ref: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": BASE + ref},
        registry=_registry(root),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def problems(instance: Any, ref: str) -> list[str]:
    """What in ``instance`` breaks the schema ``ref`` (empty when it is valid)."""
    try:
        validator = _validator(schema_dir(), ref)
    except FileNotFoundError as e:  # fail closed: nothing unvalidated is ever read
        raise AnswerRejected(UcpCode.SCHEMAS_MISSING, str(e)) from e
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ][:5]


def checkout_problems(instance: Any) -> list[str]:
    """A checkout with the discount, fulfillment and AP2 mandate extensions (UCP's
    composition)."""
    found: list[str] = []
    for extension in CHECKOUT_EXTENSIONS:
        found += problems(instance, f"{extension}#/$defs/dev.ucp.shopping.checkout")
    return found


def require(instance: Any, ref: str, what: str) -> None:
    """Raise ``AnswerRejected`` (``ucp-bad-answer``) unless ``instance`` is valid for ``ref``."""
    found = checkout_problems(instance) if ref == "checkout" else problems(instance, ref)
    if found:
        raise AnswerRejected(UcpCode.BAD_ANSWER, f"{what} is not UCP 2026-04-08: {found[0]}")
