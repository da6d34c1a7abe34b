"""The conformance kit: known-answer suites run against trustcart's own implementation.

    rfc9421       RFC 9421 Appendix B (and Section 4.3) signature bases and signatures, and the
                  RFC 9530 digest examples, from ``vectors/rfc9421.json``
    web_bot_auth  the Web Bot Auth vectors in ``../shared/conformance/web-bot-auth``, read at
                  run time (signatures, Signature-Agent headers, registries, agent cards)
    act_a402      the ACT 2.1 A402 artifacts in ``../shared/conformance/act/a402``: fixtures,
                  error catalog, transaction states, header format and the assertion catalog
    runner        runs every suite; ``trustcart conformance`` prints the table

A suite never passes by default: a missing vector folder is reported as a failure with the
reason, and every case checks values computed by trustcart against values published elsewhere.
A case that a suite cannot check (an assertion about HTTP wiring, say) is reported as not
applicable, with the reason: it counts neither as passed nor as failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    passed: bool
    detail: str = ""
    applicable: bool = True  # False: not checked here; ``detail`` says why

    @classmethod
    def not_applicable(cls, case_id: str, reason: str) -> CaseResult:
        return cls(case_id, passed=False, detail=reason, applicable=False)


@dataclass(frozen=True)
class SuiteResult:
    name: str
    cases: tuple[CaseResult, ...] = field(default_factory=tuple)
    error: str | None = None  # the suite could not run at all (e.g. its vectors are missing)

    @property
    def passed(self) -> int:
        return sum(1 for case in self.cases if case.applicable and case.passed)

    @property
    def failed(self) -> int:
        failed = sum(1 for case in self.cases if case.applicable and not case.passed)
        # A suite that could not run, or found nothing to check, has failed.
        nothing_checked = not any(case.applicable for case in self.cases)
        return failed + (1 if self.error is not None or nothing_checked else 0)

    @property
    def not_applicable(self) -> int:
        return sum(1 for case in self.cases if not case.applicable)
