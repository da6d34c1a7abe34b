"""Words for writing a route's OpenAPI contract: bodies, replies, operations, shared schemas.

A route says what it takes and what it answers with one ``Operation``::

    REGISTER = Operation(
        "registerDelegation", "Register a credential",
        body=JsonBody({"type": "object", ...}),
        replies=(Reply(201, "Registered", {...}),),
        problems={409: "iac-invalid (the delegation_id is taken)"},
    )

    @app.post("/delegations", status_code=201, **REGISTER.route())
    async def register(request: Request) -> ...:
        body = REGISTER.check(await read_json_object(request))

Rules it keeps:

- Every status code a route can return is listed. The ones every route shares are added here,
  not by hand: 500 ``internal-error`` always; with a JSON body 400 (``malformed-json``,
  ``json-too-deep``, ``invalid-request``), 408 ``request-timeout``, 413 ``body-too-large`` and
  415 ``unsupported-media-type``; when signed, 401 for the signature codes and 400
  ``digest-mismatch``; when rate-limited, 429.
- Every error is problem+json whose ``status`` equals the HTTP status (``problem_schema``).
- ``JsonBody.check`` validates with the schema that is published (JSON Schema 2020-12, the
  dialect of OpenAPI 3.1), so what a route accepts is always inside what it documents; the
  hand-written parser behind it may refuse more (signatures, ids, amounts), never less.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaViolation

from trustcart.core.problem import PROBLEM_CONTENT_TYPE, CommonProblem, ProblemError

JSON = "application/json"
Schema = dict[str, Any]

# The merchant API's identifier rule (``commerce.requests._TOKEN_RE``), as JSON Schema.
IDENTIFIER: Schema = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}$"}
NON_EMPTY: Schema = {"type": "string", "minLength": 1}
JWS: Schema = {
    "type": "string",
    "description": "a compact JWS (RFC 7515): header.payload.signature, base64url",
    "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+$",
}
INSTANT: Schema = {
    "type": "string",
    "description": "an RFC 3339 instant in UTC, e.g. 2026-11-29T08:00:00Z",
}
MONEY: Schema = {
    "type": "object",
    "description": "an amount in major units as a decimal string, never a float",
    "required": ["amount", "currency"],
    "additionalProperties": False,
    "properties": {
        "amount": {"type": "string", "pattern": "^-?[0-9]{1,15}(\\.[0-9]{1,4})?$"},
        "currency": {"type": "string", "description": "ISO 4217, e.g. CNY"},
    },
}
JWK: Schema = {
    "type": "object",
    "description": "a public JWK (Ed25519: kty OKP, crv Ed25519, x)",
    "required": ["kty"],
    "properties": {"kty": {"type": "string"}, "kid": {"type": "string"}},
}
JWKS: Schema = {
    "type": "object",
    "required": ["keys"],
    "properties": {"keys": {"type": "array", "items": JWK}},
}


def nullable(schema: Schema) -> Schema:
    """``schema`` or JSON ``null`` (optional fields that the parsers read as absent)."""
    return {"anyOf": [copy.deepcopy(schema), {"type": "null"}]}


def obj(
    properties: Mapping[str, Schema], required: tuple[str, ...] = (), *, closed: bool = True
) -> Schema:
    """An object schema; ``closed`` refuses unknown fields, as the strict parsers do.

    >>> obj({"a": NON_EMPTY}, ("a",))["additionalProperties"]
    False
    """
    schema: Schema = {"type": "object", "properties": copy.deepcopy(dict(properties))}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


def problem_schema(status: int) -> Schema:
    """RFC 9457 problem details as trustcart writes them; ``status`` equals the HTTP status."""
    return {
        "type": "object",
        "required": ["type", "title", "status", "code"],
        "properties": {
            "type": {"type": "string", "pattern": "^https://trustcart\\.dev/problems/"},
            "title": {"type": "string"},
            "status": {"const": status},
            "code": {"type": "string", "pattern": "^[a-z0-9-]+$"},
            "detail": {"type": "string"},
        },
    }


@dataclass(frozen=True)
class Header:
    """A header that matters: a request header (``parameter``) or a response header."""

    name: str
    description: str
    required: bool = False
    schema: Schema = field(default_factory=lambda: {"type": "string"})

    def parameter(self) -> Schema:
        return {
            "name": self.name,
            "in": "header",
            "required": self.required,
            "description": self.description,
            "schema": copy.deepcopy(self.schema),
        }

    def response_header(self) -> Schema:
        return {
            "description": self.description,
            "required": self.required,
            "schema": copy.deepcopy(self.schema),
        }


SIGNATURE_INPUT = Header(
    "Signature-Input",
    "RFC 9421 signature parameters (tag web-bot-auth, keyid, created, expires, nonce); "
    "see docs/wire-formats.md",
    required=True,
)
CONTENT_DIGEST = Header(
    "Content-Digest", "RFC 9530 digest of the body (sha-256), covered by the signature"
)
SIGNATURE_AGENT = Header(
    "Signature-Agent", "where the signer's keys are published (covered by the signature)"
)
IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "required: a retry with the same key and body is answered from the stored result",
    required=True,
    schema={"type": "string", "minLength": 1, "maxLength": 255},
)
REPLAYED = Header("Idempotent-Replayed", "`true` when the answer is a stored one")
RETRY_AFTER = Header("Retry-After", "seconds to wait before trying again", required=True)

SIGNATURE_SCHEME = "httpMessageSignature"
SECURITY_SCHEMES: Schema = {
    SIGNATURE_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": "Signature",
        "description": "An RFC 9421 HTTP message signature by a key in the key directory, "
        "with Signature-Input (and Content-Digest for a body); trustcart's profile is in "
        "docs/wire-formats.md, the client is api.agent_auth.AgentRequestSigner.",
    }
}


class JsonBody:
    """A JSON request body: its published schema, and the gate that enforces it."""

    def __init__(
        self,
        schema: Schema,
        *,
        description: str = "",
        refusal: StrEnum = CommonProblem.INVALID_REQUEST,
        example: Mapping[str, Any] | None = None,
        alternatives: Mapping[str, Schema] | None = None,
    ) -> None:
        Draft202012Validator.check_schema(schema)  # a malformed schema fails at import
        self.schema = schema
        self.description = description
        self.refusal = refusal
        self.example = example
        # Other media types the route reads with a parser of its own (try-on's multipart form).
        self.alternatives = dict(alternatives or {})
        self._validator = Draft202012Validator(schema)

    def check(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` if it is inside the published schema, else a 400 with ``refusal``.

        >>> gate = JsonBody(obj({"n": {"type": "integer"}}, ("n",)))
        >>> gate.check({"n": 1})
        {'n': 1}
        >>> gate.check({"n": "1"})
        Traceback (most recent call last):
        ...
        trustcart.core.problem.ProblemError: invalid-request: n: '1' is not of type 'integer'
        """
        error: SchemaViolation | None = next(iter(self._validator.iter_errors(body)), None)
        if error is None:
            return body
        where = ".".join(str(part) for part in error.absolute_path) or "body"
        raise ProblemError(self.refusal, 400, f"{where}: {_short(error.message)}")

    def request_body(self) -> Schema:
        media: Schema = {"schema": copy.deepcopy(self.schema)}
        if self.example is not None:
            media["example"] = copy.deepcopy(dict(self.example))
        content = {JSON: media}
        content.update(
            {kind: {"schema": copy.deepcopy(alt)} for kind, alt in self.alternatives.items()}
        )
        return {"required": True, "description": self.description, "content": content}


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


@dataclass(frozen=True)
class Reply:
    """One success response: status, what it means, its body schema, headers and links."""

    status: int
    description: str
    schema: Schema | None = None
    media_type: str = JSON
    headers: tuple[Header, ...] = ()
    links: Mapping[str, Schema] = field(default_factory=dict)

    def openapi(self) -> Schema:
        reply: Schema = {"description": self.description}
        if self.schema is not None:
            reply["content"] = {self.media_type: {"schema": copy.deepcopy(self.schema)}}
        if self.headers:
            reply["headers"] = {h.name: h.response_header() for h in self.headers}
        if self.links:
            reply["links"] = copy.deepcopy(dict(self.links))
        return reply


def link(operation_id: str, description: str, **parameters: str) -> Schema:
    """An OpenAPI link: ``parameters`` maps the target's parameter names to runtime expressions."""
    return {"operationId": operation_id, "description": description, "parameters": parameters}


_SIGNED_PROBLEMS = {
    400: "digest-mismatch (Content-Digest missing or not the body's)",
    401: "signature-missing, signature-invalid, signature-expired, nonce-replayed, unknown-agent",
}
_BODY_PROBLEMS = {
    400: "malformed-json, json-too-deep, invalid-request (the body is not the documented shape)",
    408: "request-timeout (the body did not arrive in time)",
    413: "body-too-large",
    415: "unsupported-media-type (send Content-Type: application/json)",
}


@dataclass(frozen=True)
class Operation:
    """Everything one route documents; ``route()`` gives the FastAPI decorator's arguments."""

    operation_id: str
    summary: str
    replies: tuple[Reply, ...]
    problems: Mapping[int, str] = field(default_factory=dict)
    body: JsonBody | None = None
    headers: tuple[Header, ...] = ()
    signed: bool = False
    rate_limited: bool = False
    extra: Schema = field(default_factory=dict)

    def check(self, body: dict[str, Any]) -> dict[str, Any]:
        """The route's body, gated by its published schema (see ``JsonBody.check``)."""
        if self.body is None:
            raise AssertionError(f"{self.operation_id} declares no body")
        return self.body.check(body)

    def all_problems(self) -> dict[int, str]:
        """Every error status this route can answer, with the codes behind each."""
        found: dict[int, list[str]] = {}
        shared = [_BODY_PROBLEMS if self.body is not None else {}]
        shared.append(_SIGNED_PROBLEMS if self.signed else {})
        shared.append({429: "rate-limited"} if self.rate_limited else {})
        shared.append({500: "internal-error (a bug; nothing was written)"})
        for table in (*shared, self.problems):
            for status, codes in table.items():
                found.setdefault(status, []).append(codes)
        return {status: "; ".join(found[status]) for status in sorted(found)}

    def responses(self) -> dict[int, Schema]:
        documented: dict[int, Schema] = {reply.status: reply.openapi() for reply in self.replies}
        for status, codes in self.all_problems().items():
            headers = {RETRY_AFTER.name: RETRY_AFTER.response_header()} if status == 429 else {}
            documented[status] = {
                "description": codes,
                "content": {PROBLEM_CONTENT_TYPE: {"schema": problem_schema(status)}},
                **({"headers": headers} if headers else {}),
            }
        return documented

    def route(self) -> dict[str, Any]:
        """Keyword arguments for ``app.get``/``app.post``: summary, id, responses, extras."""
        extra: Schema = copy.deepcopy(self.extra)
        parameters = [h.parameter() for h in self.headers]
        if self.signed:
            parameters += [SIGNATURE_INPUT.parameter(), SIGNATURE_AGENT.parameter()]
            if self.body is not None:
                parameters.append(CONTENT_DIGEST.parameter())
            extra["security"] = [{SIGNATURE_SCHEME: []}]
        if parameters:
            extra["parameters"] = extra.get("parameters", []) + parameters
        if self.body is not None:
            extra["requestBody"] = self.body.request_body()
        return {
            "summary": self.summary,
            "operation_id": self.operation_id,
            "responses": self.responses(),
            "openapi_extra": extra,
        }


def finish_openapi(generate: Callable[[], Schema]) -> Schema:
    """FastAPI's document without what our apps never answer, plus the signature scheme.

    FastAPI adds a 422 "Validation Error" to every route with parameters; trustcart answers
    those errors as 400 problem+json (``api.common``), so the 422 goes unless the route
    documents one of its own.
    """
    document = generate()
    for methods in document.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.get("responses", {})
            validation = responses.get("422", {}).get("content", {}).get(JSON, {})
            if validation.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                del responses["422"]
    components = document.setdefault("components", {})
    schemas = components.get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    if not schemas:
        components.pop("schemas", None)
    components["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
    return document
