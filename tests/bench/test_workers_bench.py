"""``bench checkout`` / ``bench payments --workers N`` and ``serve --workers N`` bounds.

The slow test runs the payments bench for a second against two worker processes (the servers
as ``serve --workers 2`` runs them) and checks that the report says so and holds figures with
no errors; the quick ones check that a worker count out of 1..64 (0..64 for the benches,
where 0 keeps the servers in the bench's own process) is refused with exit 2.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import trustcart.cli.commands  # noqa: F401 - registers the commands
from trustcart.cli.app import app

runner = CliRunner()


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--workers", "0"],
        ["serve", "--workers", "65"],
        ["serve", "--workers", "two"],
        ["bench", "checkout", "--workers", "65"],
        ["bench", "payments", "--workers", "-1"],
    ],
)
def test_a_worker_count_out_of_range_is_refused(argv: list[str]) -> None:
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_bench_payments_on_two_worker_processes() -> None:
    argv = ["bench", "payments", "--seconds", "1", "--concurrency", "2", "--workers", "2"]
    result = runner.invoke(app, [*argv, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["workers"] == 2
    for variant in ("verified", "unchecked"):
        figure = report[variant]
        assert figure["completed"] >= 1, figure
        assert figure["errors"] == 0, figure["first_error"]
