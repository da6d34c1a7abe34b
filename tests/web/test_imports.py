"""Import jobs: their state table, failures reported, the error report, the accepted files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from trustcart.commerce.ingest import ImportIssue, ImportReport
from trustcart.core.errors import ValidationError
from trustcart.web.imports import (
    JOB_TRANSITIONS,
    ImportJobs,
    ImportProgress,
    JobState,
    upload_suffix,
)


def test_a_job_moves_only_by_the_table() -> None:
    queued = ImportProgress("imp_1", "m_1", "c.csv")
    done = queued.moved(JobState.RUNNING).moved(JobState.DONE)
    assert done.finished
    for state in JobState:
        if state not in JOB_TRANSITIONS[JobState.DONE] and state is not JobState.DONE:
            with pytest.raises(ValidationError):
                done.moved(state)
    with pytest.raises(ValidationError):
        queued.moved(JobState.DONE)  # never done without having run


def test_the_error_report_is_csv_with_line_and_reason() -> None:
    job = ImportProgress(
        "imp_1", "m_1", "c.csv", issues=(ImportIssue(3, 'price "x", bad'), ImportIssue(7, "no"))
    )
    assert job.error_report_csv() == 'line,reason\n3,"price ""x"", bad"\n7,no\n'


@pytest.mark.parametrize("name", ["c.exe", "c", "c.csv.sh", "", "../c.txt"])
def test_only_catalog_files_are_accepted(name: str) -> None:
    with pytest.raises(ValidationError):
        upload_suffix(name)
    assert upload_suffix("Catalog.CSV") == ".csv"


Runner = Callable[[Path, str, Callable[[int, ImportReport], None]], ImportReport]


def _jobs(tmp_path: Path, run: Runner) -> ImportJobs:
    return ImportJobs(tmp_path / "uploads", run)


def test_a_job_runs_reports_progress_and_removes_its_upload(tmp_path: Path) -> None:
    seen: list[Path] = []

    def run(
        path: Path, merchant_id: str, on_row: Callable[[int, ImportReport], None]
    ) -> ImportReport:
        seen.append(path)
        report = ImportReport(inserted=2, issues=[ImportIssue(3, "bad price")])
        for rows in range(1, 201):
            on_row(rows, report)
        return report

    jobs = _jobs(tmp_path, run)
    job = jobs.start("m_1", "catalog.csv", b"product_id\n")
    finished = jobs.wait(job.job_id)
    jobs.close()
    assert finished is not None
    assert (finished.state, finished.rows_read, finished.inserted, finished.rejected) == (
        JobState.DONE,
        200,
        2,
        1,
    )
    assert seen
    assert not seen[0].exists()


def test_a_failing_import_is_reported_not_lost(tmp_path: Path) -> None:
    def run(
        path: Path, merchant_id: str, on_row: Callable[[int, ImportReport], None]
    ) -> ImportReport:
        raise ValidationError("a CSV catalog needs a header with product_id")

    jobs = _jobs(tmp_path, run)
    job = jobs.start("m_1", "catalog.csv", b"nonsense\n")
    finished = jobs.wait(job.job_id)
    jobs.close()
    assert finished is not None
    assert finished.state is JobState.FAILED
    assert "header" in (finished.error or "")


def test_an_oversized_upload_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("trustcart.web.imports.MAX_UPLOAD_BYTES", 10)
    jobs = _jobs(tmp_path, lambda *_: ImportReport())
    with pytest.raises(ValidationError, match="larger"):
        jobs.start("m_1", "c.csv", b"x" * 11)
    jobs.close()
