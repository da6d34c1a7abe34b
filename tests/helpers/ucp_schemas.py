"""The pinned UCP 2026-04-08 JSON schemas, loaded for jsonschema with ``referencing``.

Schemas come from ``$TRUSTCART_CONFORMANCE_DIR/ucp`` (default ``../shared/conformance/ucp``).
Responses validate against the schemas as published. Requests validate against the schemas as
UCP derives them for an operation (``create``, ``update``, ``complete``): a property annotated
``"ucp_request": "omit"`` is dropped, ``"required"`` is required, ``"optional"`` is not; the
derivation is applied to every schema of the registry, so it holds through ``$ref``.
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "https://ucp.dev/schemas/"
CHECKOUT_EXTENSIONS = ("shopping/discount.json", "shopping/fulfillment.json")


def ucp_dir() -> Path:
    root = os.environ.get("TRUSTCART_CONFORMANCE_DIR")
    base = Path(root) if root else Path(__file__).resolve().parents[3] / "shared" / "conformance"
    if not (base / "ucp").is_dir():
        base = Path("/work/shared/conformance")
    return base / "ucp" / "source"


def _derive(node: Any, op: str) -> Any:
    if isinstance(node, list):
        return [_derive(item, op) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _derive(value, op) for key, value in node.items()}
    properties = out.get("properties")
    if isinstance(properties, dict):
        required = list(out.get("required", []))
        for name, prop in list(properties.items()):
            rule = prop.get("ucp_request") if isinstance(prop, dict) else None
            if isinstance(rule, dict):
                rule = rule.get(op)
            if rule == "omit":
                del properties[name]
                required = [r for r in required if r != name]
            elif rule == "required" and name not in required:
                required.append(name)
            elif rule == "optional":
                required = [r for r in required if r != name]
        if "required" in out or required:
            out["required"] = required
    return out


@cache
def _documents() -> dict[str, dict[str, Any]]:
    root = ucp_dir() / "schemas"
    return {
        path.relative_to(root).as_posix(): json.loads(path.read_text("utf-8"))
        for path in root.rglob("*.json")
    }


@cache
def registry(op: str | None = None) -> Registry[Any]:
    resources = []
    for name, doc in _documents().items():
        body = _derive(copy.deepcopy(doc), op) if op else doc
        resources.append((BASE + name, Resource.from_contents(body, DRAFT202012)))
    return Registry().with_resources(resources)


def validate(instance: Any, ref: str, op: str | None = None) -> None:
    """Validate ``instance`` against ``ref`` (e.g. ``shopping/checkout.json``, with a fragment)."""
    validator = jsonschema.Draft202012Validator(
        {"$ref": BASE + ref},
        registry=registry(op),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(instance)


def validate_checkout(instance: Any, op: str | None = None) -> None:
    """A checkout (request for ``op``, or response) with the discount and fulfillment extensions."""
    for extension in CHECKOUT_EXTENSIONS:
        validate(instance, f"{extension}#/$defs/dev.ucp.shopping.checkout", op)


def validate_error(instance: Any) -> None:
    validate(instance, "shopping/types/error_response.json")


def validate_profile(instance: Any) -> None:
    """``/.well-known/ucp``: ``ucp`` is the business schema; ``signing_keys`` are public JWKs."""
    validate(instance["ucp"], "ucp.json#/$defs/business_schema")
    keys = instance["signing_keys"]
    assert isinstance(keys, list)
    for key in keys:
        assert {"kty", "kid"} <= set(key)
        assert "d" not in key
