"""``trustcart bench checkout`` and ``bench payments`` run briefly and print both figures.

Each runs for about a second with one worker through the real command line (``--json``); the
report must be well formed: a verified and an unchecked figure with purchases completed and no
errors, percentiles in order, the ratios computed from those figures, and, for payments, the
raw-verify baseline. The closed-loop runner's arithmetic is checked on its own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401 - registers the commands
from trustcart.bench.checkout import ratios
from trustcart.bench.load import LoadFigures, StepsExhausted, merge, percentile, run_closed_loop
from trustcart.cli.app import app

runner = CliRunner()


def _bench(name: str) -> dict[str, Any]:
    result = runner.invoke(
        app,
        ["bench", name, "--seconds", "1", "--concurrency", "1", "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _check_figures(report: dict[str, Any]) -> None:
    assert report["database"] == "sqlite"
    assert report["concurrency"] == 1
    for variant in ("verified", "unchecked"):
        figure = report[variant]
        assert figure["completed"] >= 1, figure
        assert figure["errors"] == 0, figure["first_error"]
        assert 0 < figure["p50_ms"] <= figure["p99_ms"]
        assert figure["per_second"] == pytest.approx(figure["completed"] / figure["seconds"], 0.02)
        assert figure["cpu_ms_per_op"] > 0
    expected = report["verified"]["per_second"] / report["unchecked"]["per_second"]
    assert report["ratios"]["throughput_verified_over_unchecked"] == pytest.approx(expected, 0.01)


@pytest.mark.slow
def test_bench_checkout_reports_both_paths() -> None:
    report = _bench("checkout")
    assert report["bench"] == "checkout"
    _check_figures(report)


@pytest.mark.slow
def test_bench_payments_reports_both_paths_and_the_baseline() -> None:
    report = _bench("payments")
    assert report["bench"] == "payments"
    _check_figures(report)
    baseline = report["raw_verify"]
    assert baseline["verifications_per_payment"] == 5
    assert baseline["payments"] >= 1
    assert baseline["per_second"] > report["verified"]["per_second"]
    # A worker whose pool of carts ran out stops early; the report says which variant's did.
    assert set(report["pools_ran_out"]) <= {"verified", "unchecked"}


def test_closed_loop_counts_completions_errors_and_exhaustion() -> None:
    calls = {"ok": 0}

    def ok() -> None:
        calls["ok"] += 1
        if calls["ok"] >= 5:
            raise StepsExhausted

    def failing() -> None:
        raise RuntimeError("refused")

    figures = run_closed_loop([ok, failing], 0.2)
    assert figures.completed == 4  # the fifth call ended its worker, uncounted
    assert figures.errors >= 1
    assert figures.first_error == "RuntimeError: refused"


def test_figures_refuse_inconsistent_counts_and_merge_adds_up() -> None:
    with pytest.raises(ValueError, match="latency"):
        LoadFigures(completed=2, errors=0, seconds=1.0, latencies_ms=(1.0,))
    with pytest.raises(ValueError, match="lasted"):
        LoadFigures(completed=0, errors=0, seconds=0.0, latencies_ms=())
    a = LoadFigures(2, 0, 1.0, (10.0, 30.0), cpu_seconds=0.2)
    b = LoadFigures(1, 1, 1.0, (20.0,), first_error="x", cpu_seconds=0.1)
    both = merge([a, b])
    assert (both.completed, both.errors, both.first_error) == (3, 1, "x")
    assert both.to_json()["p50_ms"] == 20.0
    assert both.to_json()["cpu_ms_per_op"] == 100.0
    assert ratios(a, b)["throughput_verified_over_unchecked"] == 2.0
    with pytest.raises(ValueError, match="fraction"):
        percentile([1.0], 0.0)
