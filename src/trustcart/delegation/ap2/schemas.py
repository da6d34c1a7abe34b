"""The pinned AP2 v0.2.0 JSON Schemas (2020-12) and validation against them.

Strategy: the schemas ship with the package (``delegation/ap2/pinned/schemas``: the files of
google-agentic-commerce/AP2 tag v0.2.0, ``code/sdk/schemas/ap2``, Apache-2.0, with AP2's LICENSE
and SOURCE; ``tests/core/test_pinned_copies.py`` keeps them byte-equal to
``../shared/conformance/ap2/schemas``), or come from ``$TRUSTCART_CONFORMANCE_DIR/ap2/schemas``
when that is set (``core.pinned``). Each file is pinned by its SHA-256; a missing or altered file
raises ``AP2Unavailable``, so no mandate is read or issued against a schema nobody reviewed.
Cross-file ``$ref``s (``types/merchant.json`` ...) resolve through a ``referencing`` registry
built from those files only: nothing is fetched.

Every mandate is validated on its *disclosed* claims (after the SD-JWT digests are resolved),
with the SD-JWT's own claims (``cnf``, ``_sd_alg``, ``iss``) left in: the schemas allow them.

>>> AP2Schema.PAYMENT_MANDATE.value
'payment_mandate.json'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from trustcart.core import pinned
from trustcart.delegation.ap2.errors import AP2Refusal, AP2Unavailable, MandateRefused

ENV_VAR = pinned.ENV_VAR

SCHEMA_PATH = PurePosixPath("ap2/schemas")
PACKAGED = Path(__file__).resolve().parent / "pinned" / "schemas"


class AP2Schema(StrEnum):
    """The six top-level v0.2.0 schemas."""

    CHECKOUT_MANDATE = "checkout_mandate.json"
    OPEN_CHECKOUT_MANDATE = "open_checkout_mandate.json"
    PAYMENT_MANDATE = "payment_mandate.json"
    OPEN_PAYMENT_MANDATE = "open_payment_mandate.json"
    CHECKOUT_RECEIPT = "checkout_receipt.json"
    PAYMENT_RECEIPT = "payment_receipt.json"


# SHA-256 of every file as reviewed (shared/conformance/ap2/SOURCE: tag v0.2.0, b4587ac).
PINS: dict[str, str] = {
    "checkout_mandate.json": "10c0341edfeaa9084d3704ef8e94869de20499c8e357068d65f8d622bf79483a",
    "checkout_receipt.json": "941198a1fc1916d04813a8b8ccba4b407471305a6eb1b5338b1f67b6299764ea",
    "open_checkout_mandate.json": (
        "bd6eb1c95a5ccb967259fae49100287755251c9d1bdb48342d96dd99fcb30b41"
    ),
    "open_payment_mandate.json": (
        "65394d52af4d3326ab6b4bdcc2aa38d65a918d11b90efd8518c583bf015ab568"
    ),
    "payment_mandate.json": "94c4af64ed29825cb956705ae763d42f3c04d22feb60b8d838dae2bb1eea1fb1",
    "payment_receipt.json": "e7d52266c407d32bcc49959f91e8ddb73024a1803bef75b7bd368fb93849ba88",
    "types/amount.json": "15271efa8064539b8ded7c69f213ed7a1e64f8d9634b405ce926c2dcbbc41c0f",
    "types/item.json": "48c24532f105fda096ab89a27e04e896a597fda7e308e96cc88e11ce6a6632f9",
    "types/jwk.json": "4040c2b2a105cc5d66241896189cb9c59956246c9fab7dc38f9c1da98f12cacb",
    "types/merchant.json": "13457334d8577230a1cce5265971cfc02f68f5d4e97f74bd2e78128105d3ab31",
    "types/payment_instrument.json": (
        "b3bcea7a7b5bbf2b0aa781135ac3b6907280822aa84797161c2d3d104d0cbe8c"
    ),
    "types/pisp.json": "60a5c8c09236f5d1e84a25bff4fd4cff05fb3fa8e3648cbab483322f27388630",
    "types/receipt_status.json": "ad51c1c20be72e286f4ff6fe2819145dcec7e5e3e0f6dc7870fcf748c06c1da0",
}


def schema_dir() -> Path:
    """``$TRUSTCART_CONFORMANCE_DIR/ap2/schemas`` when set, else the packaged copy."""
    return pinned.pinned_dir(SCHEMA_PATH, PACKAGED)


@dataclass(frozen=True)
class AP2SchemaSet:
    """Validators for the six AP2 schemas, built from pinned files only."""

    validators: dict[AP2Schema, Draft202012Validator]

    def errors(self, schema: AP2Schema, instance: Any) -> list[str]:
        """Every violation as ``"<json path>: <rule>"``; values are never quoted."""
        found = sorted(
            self.validators[schema].iter_errors(instance),
            key=lambda error: list(map(str, error.absolute_path)),
        )
        return [
            "$" + "".join(f"[{p!r}]" for p in e.absolute_path) + f": violates {e.validator}"
            for e in found
        ]

    def validate(self, schema: AP2Schema, instance: Any) -> None:
        """Raise ``MandateRefused(ap2-mandate-schema-invalid)`` unless ``instance`` is valid."""
        problems = self.errors(schema, instance)
        if problems:
            raise MandateRefused(
                AP2Refusal.SCHEMA_INVALID, f"{schema.value}: {'; '.join(problems)}"
            )


def load_schema_set(directory: Path) -> AP2SchemaSet:
    """Read, pin-check and compile the schemas in ``directory``; raise ``AP2Unavailable``."""
    raw = pinned.read_pinned(directory, PINS, AP2Unavailable)
    documents: dict[str, dict[str, Any]] = {name: json.loads(data) for name, data in raw.items()}
    # The files' own "$id"s are not all consistent (payment_mandate_open.json, receipt-status);
    # the relative "$ref"s resolve against a base URI per file name instead.
    base = "https://ap2-protocol.org/schemas/"
    registry: Registry[Any] = Registry().with_resources(
        (base + name, Resource.from_contents(doc, default_specification=DRAFT202012))
        for name, doc in documents.items()
    )
    validators = {}
    for schema in AP2Schema:
        document = dict(documents[schema.value])
        document["$id"] = base + schema.value
        validators[schema] = Draft202012Validator(document, registry=registry)
    return AP2SchemaSet(validators)


@cache
def _cached(directory: Path) -> AP2SchemaSet:
    return load_schema_set(directory)


def default_schema_set() -> AP2SchemaSet:
    """The schema set from the conformance folder, loaded once per folder."""
    return _cached(schema_dir().resolve())


def validate(schema: AP2Schema, instance: Any) -> None:
    """Validate against the default pinned schema set (see ``AP2SchemaSet.validate``)."""
    default_schema_set().validate(schema, instance)
