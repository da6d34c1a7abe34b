"""The conformance kit: known-answer suites run against trustcart's own implementation.

    rfc9421       RFC 9421 Appendix B (and Section 4.3) signature bases and signatures, and the
                  RFC 9530 digest examples, from ``vectors/rfc9421.json``
    web_bot_auth  the Web Bot Auth vectors in ``../shared/conformance/web-bot-auth``, read at
                  run time (signatures, Signature-Agent headers, registries, agent cards)
    runner        runs every suite; ``trustcart conformance`` prints the table

A suite never passes by default: a missing vector folder is reported as a failure with the
reason, and every case checks values computed by trustcart against values published elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class SuiteResult:
    name: str
    cases: tuple[CaseResult, ...] = field(default_factory=tuple)
    error: str | None = None  # the suite could not run at all (e.g. its vectors are missing)

    @property
    def passed(self) -> int:
        return sum(1 for case in self.cases if case.passed)

    @property
    def failed(self) -> int:
        failed = sum(1 for case in self.cases if not case.passed)
        # A suite that could not run, or found nothing to run, has failed.
        return failed + (1 if self.error is not None or not self.cases else 0)
