"""The pinned reference-v1 JSON Schemas (2020-12) and validation against them.

Strategy: the schemas ship with the package (``trust/credit/pinned/schemas``: antgroup/ACT
``code/schemas/tsd-crd/reference-v1/schemas``, Apache-2.0, SOURCE naming each file's commit;
``tests/core/test_pinned_copies.py`` keeps them byte-equal to
``../shared/conformance``), or come from ``$TRUSTCART_CONFORMANCE_DIR/act/tsd-crd/reference-v1/
schemas`` when that is set (``core.pinned``); the examples and test vectors stay in the
conformance folder (``profile_dir``). Each file is pinned
by its SHA-256 (``PINS``); a missing or altered file raises ``SchemaUnavailable``,
so an object is never accepted against a schema nobody reviewed. Cross-file ``$ref``s resolve
through a ``referencing`` registry built from those files only (nothing is fetched).

Rules kept here:

* ``format`` is asserted, not just annotated: ``date-time`` (RFC 3339 with an offset), ``uri``
  and ``uri-reference`` (RFC 3986 characters and percent-escapes). A schema naming any other
  format is refused at load time, since it would otherwise pass unchecked.
* the error message names the first failing location, for people; callers switch on the
  exception type, never on the text.

>>> CreditSchema.CREDENTIAL.value
'association-credential.schema.json'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from trustcart.core.pinned import pinned_dir, read_pinned
from trustcart.trust.credit.errors import InvalidCreditObject, SchemaUnavailable

ENV_VAR = "TRUSTCART_CONFORMANCE_DIR"
PROFILE_PATH = Path("act/tsd-crd/reference-v1")
PACKAGED = Path(__file__).resolve().parent / "pinned" / "schemas"


class CreditSchema(StrEnum):
    """The twelve reference-v1 schema files (``common`` only holds shared definitions)."""

    COMMON = "common.schema.json"
    APPLICATION = "association-application.schema.json"
    CREDENTIAL = "association-credential.schema.json"
    DIRECT_SIGNING_PAYLOAD = "direct-signing-payload.schema.json"
    CREDENTIAL_STATUS = "credential-status.schema.json"
    STATUS_CHANGE_REQUEST = "status-change-request.schema.json"
    AUTHORIZATION = "credit-query-authorization.schema.json"
    AUTHORIZATION_REVOCATION = "authorization-revocation-request.schema.json"
    SUBJECT_CREDIT_ASSERTION = "subject-credit-assertion.schema.json"
    AGENT_CREDIT_ASSERTION = "agent-associated-credit-assertion.schema.json"
    VERIFICATION_REQUEST = "verification-request.schema.json"
    VERIFICATION_RESPONSE = "verification-response.schema.json"


# SHA-256 of each file as reviewed (antgroup/ACT code/schemas/tsd-crd/reference-v1, the commits
# listed in shared/conformance/act/SOURCE). A new profile version means new pins, on purpose.
PINS: dict[CreditSchema, str] = {
    CreditSchema.COMMON: "5589efc6cb59f25ffa6b15f8a0606899fdef53d493031a001d109e48d6cb1857",
    CreditSchema.APPLICATION: "e0c6d189d1fda30c05fd62855fce703f5331c4ec62b3c6d8de9a08c497654b69",
    CreditSchema.CREDENTIAL: "aec37d4beb06ecc56aa032bc5d68e3777329e6c37ba3382f90318795314d123b",
    CreditSchema.DIRECT_SIGNING_PAYLOAD: (
        "3f0942ffa85f1da71caedcb4ef568620f37f5385cd1c71e2d0bfa75093a4732f"
    ),
    CreditSchema.CREDENTIAL_STATUS: (
        "b3515191c547407912b4b29143d52ff50341befc5da6e484d23f3ec62482950a"
    ),
    CreditSchema.STATUS_CHANGE_REQUEST: (
        "98153931cb94b85932d6c062257cd9f0cefb2df5677e8e1b1f5bac2614ca2066"
    ),
    CreditSchema.AUTHORIZATION: "835cc0410339415de9e7335c08d6f695bc00ad995b4faa47bfddd0eb075c43c2",
    CreditSchema.AUTHORIZATION_REVOCATION: (
        "9628b69db690a9245f2ddff677ccd6b4f11e13987fc6c715dffdb2a6d7adc3a8"
    ),
    CreditSchema.SUBJECT_CREDIT_ASSERTION: (
        "aaabac57b45e0d6f39aaaeec30cb322e7076eaf4dfb2b29acbb5e97764376fe4"
    ),
    CreditSchema.AGENT_CREDIT_ASSERTION: (
        "2ccbdec93403cc99a073b224e5888f9f2e2592c8823430c3c8d430e12e10bda7"
    ),
    CreditSchema.VERIFICATION_REQUEST: (
        "b6e8feb801928a2b2ad07d861721b72b3bffb92bc69e4f7d5ee057a728ae5109"
    ),
    CreditSchema.VERIFICATION_RESPONSE: (
        "07e8d75d06aa58842203201d455ae02a12466924904d3d888d967146acf29f3e"
    ),
}


# Formats -----------------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
# RFC 3986 §2: unreserved, reserved and percent-encoded octets; nothing else.
_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*", re.ASCII)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:", re.ASCII)


def is_rfc3339(text: object) -> bool:
    """An RFC 3339 ``date-time`` with an offset.

    >>> is_rfc3339("2026-08-12T09:00:00Z"), is_rfc3339("2026-08-12 09:00"), is_rfc3339("x")
    (True, False, False)
    """
    if not isinstance(text, str) or _RFC3339.fullmatch(text) is None:
        return False
    fraction = re.search(r"\.([0-9]+)", text)
    normalized = text.upper().replace("Z", "+00:00")
    if fraction is not None:  # fromisoformat (3.11) takes at most 6 fraction digits
        normalized = normalized.replace(
            fraction.group(0), "." + fraction.group(1)[:6].ljust(6, "0")
        )
    try:
        datetime.fromisoformat(normalized)
    except ValueError:
        return False
    return True


def is_uri_reference(text: object) -> bool:
    """RFC 3986 characters and well-formed percent-escapes (relative references allowed)."""
    return isinstance(text, str) and _URI_CHARS.fullmatch(text) is not None


def is_uri(text: object) -> bool:
    """An absolute URI: a scheme, then RFC 3986 characters."""
    return is_uri_reference(text) and isinstance(text, str) and _SCHEME.match(text) is not None


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_rfc3339)
    checker.checks("uri")(is_uri)
    checker.checks("uri-reference")(is_uri_reference)
    return checker


FORMATS = frozenset({"date-time", "uri", "uri-reference"})


# Loading -----------------------------------------------------------------------------------


def conformance_dir() -> Path:
    """``$TRUSTCART_CONFORMANCE_DIR``, else ``<repo>/../shared/conformance``."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[4].parent / "shared" / "conformance"


def profile_dir() -> Path:
    """The reference-v1 folder (schemas, examples, test vectors)."""
    return conformance_dir() / PROFILE_PATH


def _formats_used(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            yield node["format"]
        for value in node.values():
            yield from _formats_used(value)
    elif isinstance(node, list):
        for value in node:
            yield from _formats_used(value)


@dataclass(frozen=True)
class SchemaSet:
    """Validators for every reference-v1 schema, built from pinned files only."""

    validators: Mapping[CreditSchema, Draft202012Validator]

    def errors(self, schema: CreditSchema, instance: Any) -> list[str]:
        """Every violation as ``"<json path>: <rule>"`` (empty: valid); values are never quoted."""
        found = sorted(
            self.validators[schema].iter_errors(instance),
            key=lambda error: list(map(str, error.absolute_path)),
        )
        return [_describe(error) for error in found]

    def validate(self, schema: CreditSchema, instance: Any) -> None:
        """Raise InvalidCreditObject unless ``instance`` is valid against ``schema``."""
        problems = self.errors(schema, instance)
        if problems:
            raise InvalidCreditObject(f"{schema.value}: {'; '.join(problems)}")


# Messages of these validators name properties only; every other message would quote the
# instance, which may be credit data (a leaked value must not leak again into a log line).
_SAFE_MESSAGES = frozenset({"required", "additionalProperties"})


def _describe(error: SchemaError) -> str:
    path = "$" + "".join(f"[{part!r}]" for part in error.absolute_path)
    if error.validator in _SAFE_MESSAGES:
        return f"{path}: {error.message}"
    rule = "/".join(str(part) for part in error.schema_path)
    return f"{path}: violates {error.validator} ({rule})"


def load_schema_set(directory: Path) -> SchemaSet:
    """Read, pin-check and compile the schemas in ``directory``; raise SchemaUnavailable."""
    raw = read_pinned(directory, {s.value: pin for s, pin in PINS.items()}, SchemaUnavailable)
    documents: dict[CreditSchema, dict[str, Any]] = {}
    for schema in PINS:
        document = json.loads(raw[schema.value])
        unknown = set(_formats_used(document)) - FORMATS
        if unknown:
            raise SchemaUnavailable(f"{schema.value} uses unchecked formats {sorted(unknown)}")
        documents[schema] = document
    registry: Registry[Any] = Registry().with_resources(
        (document["$id"], Resource.from_contents(document, default_specification=DRAFT202012))
        for document in documents.values()
    )
    checker = _format_checker()
    validators = {
        schema: Draft202012Validator(document, registry=registry, format_checker=checker)
        for schema, document in documents.items()
    }
    return SchemaSet(validators)


@cache
def _cached(directory: Path) -> SchemaSet:
    return load_schema_set(directory)


def schema_dir() -> Path:
    """``$TRUSTCART_CONFORMANCE_DIR/act/tsd-crd/reference-v1/schemas`` when set, else the copy."""
    return pinned_dir(PurePosixPath(PROFILE_PATH.as_posix()) / "schemas", PACKAGED)


def default_schema_set() -> SchemaSet:
    """The pinned schema set (packaged, or the conformance folder's), loaded once per folder."""
    return _cached(schema_dir().resolve())


def validate(schema: CreditSchema, instance: Any) -> None:
    """Validate against the default pinned schema set; raise InvalidCreditObject."""
    default_schema_set().validate(schema, instance)
