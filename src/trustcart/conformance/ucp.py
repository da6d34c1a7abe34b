"""Conformance suite ``ucp``: the pinned UCP 2026-04-08 schemas, their examples, and our codec.

Strategy: the schemas are read at run time from ``ucp/source/schemas`` of the shared folder
(``$TRUSTCART_CONFORMANCE_DIR``), registered under their ``$id`` base so every ``$ref``
resolves offline. Cases, each of which can fail:

* ``schema/<file>``: the file is a valid JSON Schema 2020-12 document;
* ``example/<file>#<pointer>/<n>``: every ``examples`` entry a pinned schema publishes
  validates against the (sub)schema that publishes it;
* ``codec/<document>``: what ``commerce.ucp`` renders (a business profile's ``ucp``, a
  checkout with the discount and fulfillment extensions as UCP composes them, a cart, an
  order of a completed checkout; ``ucp_outputs``) validates against the pinned schema;
* ``invalid/<document>/<mutation>``: a broken copy of each codec document (a required member
  dropped, a member of the wrong type, an unknown status) must be *refused* by the schema: an
  invalid document that is accepted counts as failed, so a schema that accepts anything cannot
  make the suite pass.

A missing schema folder is an error of the suite (counted as failed), never a pass.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from trustcart.conformance import CaseResult, SuiteResult
from trustcart.conformance.ucp_outputs import codec_outputs
from trustcart.conformance.web_bot_auth import conformance_dir

SUITE = "ucp"
BASE = "https://ucp.dev/schemas/"
CHECKOUT_EXTENSIONS = ("shopping/discount.json", "shopping/fulfillment.json")
# Each codec document and the schema references it must satisfy (all of them).
DOCUMENTS: dict[str, tuple[str, ...]] = {
    "profile": ("ucp.json#/$defs/business_schema",),
    "checkout": tuple(f"{e}#/$defs/dev.ucp.shopping.checkout" for e in CHECKOUT_EXTENSIONS),
    "cart": ("shopping/cart.json",),
    "order": ("shopping/order.json",),
}
Mutation = Callable[[dict[str, Any]], None]


def schemas_dir(root: Path) -> Path:
    return root / "ucp" / "source" / "schemas"


def _registry(folder: Path) -> tuple[Registry[Any], dict[str, Any]]:
    documents = {
        path.relative_to(folder).as_posix(): json.loads(path.read_text("utf-8"))
        for path in sorted(folder.rglob("*.json"))
    }
    resources = [
        (BASE + name, Resource.from_contents(doc, DRAFT202012)) for name, doc in documents.items()
    ]
    return Registry().with_resources(resources), documents


def _validator(registry: Registry[Any], ref: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": BASE + ref}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _problems(registry: Registry[Any], refs: tuple[str, ...], instance: Any) -> str:
    for ref in refs:
        error = next(iter(_validator(registry, ref).iter_errors(instance)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            return f"{ref}: {where}: {error.message[:160]}"
    return ""


def _examples(node: Any, pointer: str = "") -> Iterator[tuple[str, list[Any]]]:
    if isinstance(node, dict):
        if isinstance(node.get("examples"), list) and ("type" in node or "$ref" in node):
            yield pointer, node["examples"]
        for key, value in node.items():
            if key != "examples":
                escaped = key.replace("~", "~0").replace("/", "~1")
                yield from _examples(value, f"{pointer}/{escaped}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _examples(value, f"{pointer}/{i}")


def _drop(name: str) -> Mutation:
    return lambda doc: doc.pop(name, None)


def _set(name: str, value: Any) -> Mutation:
    return lambda doc: doc.__setitem__(name, value)


MUTATIONS: dict[str, tuple[tuple[str, Mutation], ...]] = {
    "profile": (("no-version", _drop("version")), ("services-not-object", _set("services", "x"))),
    "checkout": (
        ("no-id", _drop("id")),
        ("unknown-status", _set("status", "teleported")),
        ("line-items-not-array", _set("line_items", {})),
    ),
    "cart": (("no-line-items", _drop("line_items")), ("totals-not-array", _set("totals", 5))),
    "order": (("no-id", _drop("id")), ("line-items-not-array", _set("line_items", "all"))),
}


def _cases(root: Path) -> Iterator[CaseResult]:
    registry, documents = _registry(schemas_dir(root))
    for name, document in documents.items():
        try:
            Draft202012Validator.check_schema(document)
            yield CaseResult(f"schema/{name}", passed=True)
        except SchemaError as e:
            yield CaseResult(f"schema/{name}", passed=False, detail=e.message[:160])
        for pointer, examples in _examples(document):
            for n, example in enumerate(examples):
                problem = _problems(registry, (f"{name}#{pointer}",), example)
                yield CaseResult(f"example/{name}#{pointer}/{n}", not problem, problem)
    outputs = codec_outputs()
    outputs["profile"] = outputs["profile"]["ucp"]  # /.well-known/ucp: "ucp" is the schema's
    for kind, refs in DOCUMENTS.items():
        problem = _problems(registry, refs, outputs[kind])
        yield CaseResult(
            f"codec/{kind}", not problem, problem or f"valid against {', '.join(refs)}"
        )
        for mutation, change in MUTATIONS[kind]:
            broken = copy.deepcopy(outputs[kind])
            change(broken)
            refused = bool(_problems(registry, refs, broken))
            yield CaseResult(
                f"invalid/{kind}/{mutation}",
                refused,
                "refused by the schema" if refused else "an invalid document was accepted",
            )


def run() -> SuiteResult:
    """Every case above, on the shared folder."""
    root = conformance_dir()
    if not schemas_dir(root).is_dir():
        return SuiteResult(SUITE, error=f"no UCP schemas under {schemas_dir(root)}")
    return SuiteResult(SUITE, tuple(_cases(root)))
