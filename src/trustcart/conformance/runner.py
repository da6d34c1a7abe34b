"""Run every conformance suite and collect the results.

``SUITES`` maps a suite name to a function returning its ``SuiteResult``; a suite that raises
is reported as failed with the reason, never skipped. Other parts of trustcart add their suites
(ACT, ACP, UCP vectors) by adding an entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from trustcart.conformance import (
    SuiteResult,
    acp,
    act_a402,
    act_tsd_crd,
    rfc9421,
    ucp,
    web_bot_auth,
)

SUITES: dict[str, Callable[[], SuiteResult]] = {
    rfc9421.SUITE: rfc9421.run,
    web_bot_auth.SUITE: web_bot_auth.run,
    act_tsd_crd.SUITE: act_tsd_crd.run,
    act_a402.SUITE: act_a402.run,
    acp.SUITE: acp.run,
    ucp.SUITE: ucp.run,
}


def run_suite(name: str) -> SuiteResult:
    try:
        return SUITES[name]()
    except Exception as e:
        return SuiteResult(name, error=f"{type(e).__name__}: {e}")


def run_all(names: Iterable[str] | None = None) -> list[SuiteResult]:
    """Run the named suites (all by default), in registration order."""
    selected = list(SUITES) if names is None else list(names)
    unknown = [name for name in selected if name not in SUITES]
    if unknown:
        raise KeyError(f"unknown conformance suite(s): {', '.join(unknown)}")
    return [run_suite(name) for name in selected]


def summary(results: Iterable[SuiteResult]) -> dict[str, dict[str, int]]:
    """``{"<suite>": {"passed": N, "failed": M}}`` (the ``--json`` output)."""
    return {result.name: {"passed": result.passed, "failed": result.failed} for result in results}
