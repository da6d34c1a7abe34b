"""Conformance suite ``acp``: every pinned ACP 2026-04-17 example request, replayed.

Strategy: the examples (``acp/examples/2026-04-17``) are sent, bodies unchanged, to a real ACP
checkout whose catalog is the examples' merchant (``acp_world``); the only substitution is the
payment token of a ``complete``, which must be a real vault token for the session being
completed (``MintToken``). Every answer is validated against the pinned JSON schema bundle
(``schema.agentic_checkout.json``: ``CheckoutSession``, ``CheckoutSessionWithOrder``,
``Error``), and the answers the examples pin are checked: the status, the discount codes
applied and rejected, the error codes of the idempotency examples (missing key, conflict),
and a replay with ``Idempotent-Replayed: true`` and the same body.

How a request travels is the caller's (``Send``): in-process through the handler
(``trustcart conformance``) or over HTTP (``tests/acp``), so both run the same cases.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from trustcart.conformance import CaseResult, SuiteResult
from trustcart.conformance.acp_world import build_world
from trustcart.conformance.web_bot_auth import conformance_dir
from trustcart.core.clock import SystemClock
from trustcart.core.money import Money
from trustcart.store.db import Database

VERSION = "2026-04-17"
SUITE = "acp"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: Any


Send = Callable[[str, str, Mapping[str, str], bytes], Reply]  # method, path, headers, body
MintToken = Callable[[str, Money], str]  # checkout session id, amount -> vault token


@dataclass(frozen=True)
class Example:
    case_id: str
    action: str  # create / update / complete / cancel
    body: dict[str, Any]
    expect: dict[str, Any] | None = None  # the example's response, when it pins one


def examples_dir(conformance: Path) -> Path:
    return conformance / "acp" / "examples" / VERSION


def schema_bundle(conformance: Path) -> dict[str, Any]:
    path = conformance / "acp" / "spec" / VERSION / "json-schema" / "schema.agentic_checkout.json"
    bundle: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return bundle


def validator(bundle: Mapping[str, Any], name: str) -> Draft202012Validator:
    """A validator of ``$defs/<name>`` of the bundle."""
    return Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": bundle["$defs"]})


def load_examples(folder: Path) -> list[Example]:
    """Every example *request* of the pinned folder, in a fixed order."""
    found: list[Example] = []
    checkout = json.loads((folder / "examples.agentic_checkout.json").read_text(encoding="utf-8"))
    for name, body in checkout.items():
        if "_request" not in name:
            continue
        action = next(a for a in ("create", "update", "complete", "cancel") if a in name)
        found.append(Example(f"agentic_checkout/{name}", action, body))
    multi = json.loads((folder / "examples.multi_item_checkout.json").read_text(encoding="utf-8"))
    found.append(
        Example(
            "multi_item_checkout/create_multi_item_checkout_request",
            "create",
            multi["create_multi_item_checkout_request"],
        )
    )
    for path in sorted((folder / "discount-extension").glob("*.json")):
        pinned = json.loads(path.read_text(encoding="utf-8"))
        found.append(
            Example(
                f"discount-extension/{path.stem}", "create", pinned["request"], pinned["response"]
            )
        )
    return found


_BASE_CREATE: dict[str, Any] = {
    "currency": "usd",
    "line_items": [{"id": "item_123", "quantity": 1}],
    "fulfillment_details": {
        "name": "John Doe",
        "email": "johndoe@example.com",
        "address": {
            "name": "John Doe",
            "line_one": "1234 Chat Road",
            "city": "San Francisco",
            "state": "CA",
            "country": "US",
            "postal_code": "94131",
        },
    },
}


_STABLE = ("id", "status", "currency", "line_items", "totals", "discounts", "messages", "buyer")


class AcpReplay:
    """Replays the examples through ``send`` with ``api_key``; ``run`` yields one result each."""

    def __init__(self, send: Send, api_key: str, mint: MintToken, conformance: Path) -> None:
        self._send = send
        self._api_key = api_key
        self._mint = mint
        self._folder = examples_dir(conformance)
        bundle = schema_bundle(conformance)
        self._schemas = {
            name: validator(bundle, name)
            for name in ("CheckoutSession", "CheckoutSessionWithOrder", "Error")
        }
        self._counter = 0

    # -- transport --------------------------------------------------------------------------

    def _headers(self, key: str | None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "API-Version": VERSION,
            "Content-Type": "application/json",
            "Request-Id": f"req_{self._counter}",
        }
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def call(self, method: str, path: str, body: Any = None, *, key: str | None = "") -> Reply:
        """One request; ``key=""`` draws a fresh Idempotency-Key, ``None`` sends none."""
        self._counter += 1
        if key == "":
            key = f"idem_replay_{self._counter}" if method == "POST" else None
        raw = json.dumps(body).encode("utf-8") if body is not None else b""
        return self._send(method, path, self._headers(key), raw)

    def _valid(self, reply: Reply, schema: str, status: int) -> str:
        """``""`` when the reply has ``status`` and validates, else what is wrong."""
        if reply.status != status:
            return f"HTTP {reply.status} (wanted {status}): {json.dumps(reply.body)[:300]}"
        name = schema if status < 400 else "Error"
        errors = sorted(self._schemas[name].iter_errors(reply.body), key=lambda e: e.path)
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path)
            return f"{name} schema: {first.message[:200]} at /{where} ({len(errors)} errors)"
        return ""

    def _create(self, body: Mapping[str, Any] = _BASE_CREATE) -> tuple[Reply, str]:
        reply = self.call("POST", "/checkout_sessions", body)
        return reply, self._valid(reply, "CheckoutSession", 201)

    # -- the cases ----------------------------------------------------------------------------

    def run(self) -> Iterator[CaseResult]:
        for example in load_examples(self._folder):
            try:
                action = {
                    "create": self._create_example,
                    "update": self._update,
                    "complete": self._complete,
                    "cancel": self._cancel,
                }[example.action]
                detail = action(example)
            except Exception as e:
                detail = f"{type(e).__name__}: {e}"
            yield CaseResult(example.case_id, passed=not detail, detail=detail)
        for name in ("retrieve", "idempotent_replay", "idempotency_conflict", "key_required"):
            try:
                detail = getattr(self, f"_{name}")()
            except Exception as e:
                detail = f"{type(e).__name__}: {e}"
            yield CaseResult(f"protocol/{name}", passed=not detail, detail=detail)

    def _create_example(self, example: Example) -> str:
        reply, problem = self._create(example.body)
        if problem or example.expect is None:
            return problem
        return _discounts_match(reply.body, example.expect)

    def _update(self, example: Example) -> str:
        created, problem = self._create()
        if problem:
            return f"create: {problem}"
        reply = self.call("POST", f"/checkout_sessions/{created.body['id']}", example.body)
        return self._valid(reply, "CheckoutSession", 200)

    def _complete(self, example: Example) -> str:
        created, problem = self._create()
        if problem:
            return f"create: {problem}"
        session = created.body
        total = next(t["amount"] for t in session["totals"] if t["type"] == "total")
        token = self._mint(session["id"], Money(total, session["currency"].upper()))
        body = json.loads(json.dumps(example.body))
        body["payment_data"]["instrument"]["credential"]["token"] = token
        reply = self.call("POST", f"/checkout_sessions/{session['id']}/complete", body)
        outcome = (example.body.get("authentication_result") or {}).get("outcome")
        if outcome == "denied":
            return self._valid(reply, "Error", 400)
        problem = self._valid(reply, "CheckoutSessionWithOrder", 200)
        if not problem and reply.body["status"] != "completed":
            problem = f"status {reply.body['status']}"
        return problem

    def _cancel(self, example: Example) -> str:
        created, problem = self._create()
        if problem:
            return f"create: {problem}"
        path = f"/checkout_sessions/{created.body['id']}/cancel"
        reply = self.call("POST", path, example.body)
        problem = self._valid(reply, "CheckoutSession", 200)
        if problem or reply.body["status"] != "canceled":
            return problem or f"status {reply.body['status']}"
        again = self.call("POST", path, example.body)
        return self._valid(again, "Error", 405)

    def _retrieve(self) -> str:
        created, problem = self._create()
        if problem:
            return f"create: {problem}"
        reply = self.call("GET", f"/checkout_sessions/{created.body['id']}")
        problem = self._valid(reply, "CheckoutSession", 200)
        if problem:
            return problem
        same = _stable(reply.body) == _stable(created.body)
        return "" if same else "retrieve differs from create"

    def _idempotent_replay(self) -> str:
        first = self.call("POST", "/checkout_sessions", _BASE_CREATE, key="idem_same_twice")
        again = self.call("POST", "/checkout_sessions", _BASE_CREATE, key="idem_same_twice")
        problem = self._valid(again, "CheckoutSession", 201)
        if problem:
            return problem
        if again.headers.get("idempotent-replayed") != "true":
            return "no Idempotent-Replayed: true on the replay"
        return "" if again.body == first.body else "the replay differs from the first answer"

    def _idempotency_conflict(self) -> str:
        other = {**_BASE_CREATE, "line_items": [{"id": "item_456", "quantity": 2}]}
        self.call("POST", "/checkout_sessions", _BASE_CREATE, key="idem_conflict")
        reply = self.call("POST", "/checkout_sessions", other, key="idem_conflict")
        return self._valid(reply, "Error", 422) or _code(reply, "idempotency_conflict")

    def _key_required(self) -> str:
        reply = self.call("POST", "/checkout_sessions", _BASE_CREATE, key=None)
        return self._valid(reply, "Error", 400) or _code(reply, "idempotency_key_required")


def _stable(body: Mapping[str, Any]) -> dict[str, Any]:
    """What must read back alike (delivery estimates are counted from now)."""
    return {key: body.get(key) for key in _STABLE}


def _code(reply: Reply, code: str) -> str:
    return "" if reply.body.get("code") == code else f"code {reply.body.get('code')} != {code}"


def _discounts_match(got: Mapping[str, Any], pinned: Mapping[str, Any]) -> str:
    """The discount extension: the same codes applied and rejected as the example pins."""
    want = pinned.get("discounts") or {}
    have = got.get("discounts") or {}

    def applied(d: Mapping[str, Any]) -> set[str]:
        return {a["code"] for a in d.get("applied", []) if a.get("code")}

    def rejected(d: Mapping[str, Any]) -> set[tuple[str, str]]:
        return {(r["code"], r["reason"]) for r in d.get("rejected", [])}

    if applied(have) != applied(want):
        return f"applied codes {sorted(applied(have))} != {sorted(applied(want))}"
    if rejected(have) != rejected(want):
        return f"rejected {sorted(rejected(have))} != {sorted(rejected(want))}"
    if bool(have.get("applied")) != bool(want.get("applied")):
        return "an automatic discount is missing or extra"
    return ""


def run() -> SuiteResult:
    """Replay the examples in-process on a fresh SQLite database (``trustcart conformance``)."""
    root = conformance_dir()
    if not examples_dir(root).is_dir():
        return SuiteResult(SUITE, error=f"no ACP examples under {examples_dir(root)}")
    with tempfile.TemporaryDirectory(prefix="trustcart-acp-") as home:
        db = Database(f"sqlite:///{Path(home) / 'acp.db'}")
        try:
            db.create_all()
            world = build_world(db, SystemClock(), "http://acp.invalid/acp", "http://psp.invalid")

            def send(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
                return Reply(*world.send_in_process(method, path, headers, body))

            replay = AcpReplay(send, world.api_key, world.mint, root)
            return SuiteResult(SUITE, tuple(replay.run()))
        finally:
            db.dispose()
