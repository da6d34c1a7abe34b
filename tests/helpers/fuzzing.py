"""Schemathesis over a running trustcart service: a signing auth hook and a bounded, seeded run.

``run_schemathesis`` loads a service's published OpenAPI document (plus examples taken from the
running world, added by the caller), runs schemathesis's engine over it (the phases of
``st run``: examples, coverage, fuzzing and stateful, following the document's links) with a
fixed seed and a fixed number of examples per operation, and returns what it saw. Requests are
signed (RFC 9421) by ``SigningAuth`` with the key the operation's caller would hold, through
``api.agent_auth.AgentRequestSigner``, after schemathesis has built the body, so fuzzed bodies
reach the parsers behind the signature check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests
import schemathesis
from schemathesis.engine import events, from_schema

from trustcart.api.agent_auth import AgentRequestSigner

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
_SIGNATURE_HEADERS = ("Signature", "Signature-Input", "Content-Digest", "Signature-Agent")


class SigningAuth(requests.auth.AuthBase):
    """Sign each prepared request with the signer ``choose(method, path)`` names (or none)."""

    def __init__(self, choose: Callable[[str, str], AgentRequestSigner | None]) -> None:
        self.choose = choose

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        url = httpx.URL(str(prepared.url))
        signer = self.choose(str(prepared.method), url.path)
        for name in _SIGNATURE_HEADERS:  # schemathesis fills the documented headers at random
            prepared.headers.pop(name, None)
        if signer is None:
            return prepared
        body = prepared.body
        if body is None or isinstance(body, str | bytes):
            content = body.encode("utf-8") if isinstance(body, str) else body or b""
        else:
            raise TypeError("a streamed body cannot be signed")
        headers = {
            name: value if isinstance(value, str) else value.decode("latin-1")
            for name, value in prepared.headers.items()
        }
        outgoing = httpx.Request(
            str(prepared.method), str(prepared.url), headers=headers, content=content
        )
        signed = next(signer.auth_flow(outgoing))
        for name in _SIGNATURE_HEADERS:
            if name in signed.headers:
                prepared.headers[name] = signed.headers[name]
        return prepared


@dataclass
class FuzzReport:
    """What one run saw: operations, generated cases, responses by status, and every failure."""

    service: str
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        codes = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        return (
            f"{self.service}: {len(self.operations)} operations, {self.cases} cases, "
            f"{sum(self.statuses.values())} responses ({codes}), {len(self.failures)} failures, "
            f"{len(self.errors)} errors, {self.seconds:.1f} s; cases by phase: "
            + ", ".join(f"{phase} {n}" for phase, n in sorted(self.phases.items()))
        )


def config(base_url: str, *, max_examples: int, seed: int) -> schemathesis.Config:
    """A reproducible, bounded configuration: the four conformance checks and nothing else."""
    return schemathesis.Config.from_dict(
        {
            "seed": seed,
            "base-url": base_url,
            "workers": 1,
            "request-timeout": 20,
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
            },
            "checks": {
                "enabled": False,
                **{name: {"enabled": True} for name in CHECKS},
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True, "unexpected-methods": []},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True, "max-steps": 4},
            },
        }
    )


def run_schemathesis(
    service: str,
    document: Mapping[str, Any],
    base_url: str,
    auth: SigningAuth,
    *,
    max_examples: int,
    seed: int,
) -> FuzzReport:
    """Run schemathesis's engine over ``document`` against ``base_url``; collect the outcome."""
    schema = schemathesis.openapi.from_dict(
        dict(document), config=config(base_url, max_examples=max_examples, seed=seed)
    )
    schema.auth.set_from_requests(auth)
    report = FuzzReport(service)
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            _record(report, event.recorder, str(getattr(event, "phase", "fuzzing")))
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            report.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            report.seconds = event.running_time
    return report


def _record(report: FuzzReport, recorder: Any, phase: str) -> None:
    report.operations.add(recorder.label)
    report.cases += len(recorder.cases)
    report.phases[phase] += len(recorder.cases)
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            report.statuses[interaction.response.status_code] += 1
            report.by_operation[f"{recorder.label} {interaction.response.status_code}"] += 1
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            case = recorder.cases[case_id].value
            report.failures.append(
                f"{recorder.label} [{check.name}] {check.failure_info.failure.title}: "
                f"{check.failure_info.failure.message}\n    {case.as_curl_command()}"
            )
