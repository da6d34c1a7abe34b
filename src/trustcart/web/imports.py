"""Catalog imports started from the console: a background worker with live progress.

An upload is saved under ``$TRUSTCART_HOME/uploads/`` and queued; one worker thread runs the
jobs one at a time through the one importer (``local.onboarding.import_into``: the
``commerce.ingest`` import, then the changed products into the search index). While it runs,
the job's ``ImportProgress`` is updated after every record (rows read, rejected) and every
written batch (inserted, updated, unchanged); the page polls it. When it ends the upload is
deleted and the rejected rows stay available as a CSV error report (line, reason).

A job's state moves by ``JOB_TRANSITIONS`` only (queued -> running -> done | failed); jobs
live in this process (the last ``KEEP_JOBS`` are kept): the catalog itself is in the store.
"""

from __future__ import annotations

import csv
import io
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from trustcart.commerce.ingest import ImportIssue, ImportReport
from trustcart.core.errors import TrustcartError, ValidationError

ACCEPTED_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet", ".json")
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
KEEP_JOBS = 50
WEB_BATCH = 200  # smaller batches than the CLI's, so the page sees inserts grow
PROGRESS_EVERY = 100  # rows between two snapshots (each copies the issues so far)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


JOB_TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.FAILED}),
    JobState.RUNNING: frozenset({JobState.DONE, JobState.FAILED}),
    JobState.DONE: frozenset(),
    JobState.FAILED: frozenset(),
}


@dataclass(frozen=True)
class ImportProgress:
    """A snapshot of one job, safe to hand to a page."""

    job_id: str
    merchant_id: str
    filename: str
    state: JobState = JobState.QUEUED
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    issues: tuple[ImportIssue, ...] = ()
    error: str | None = None

    @property
    def rejected(self) -> int:
        return len(self.issues)

    @property
    def finished(self) -> bool:
        return not JOB_TRANSITIONS[self.state]

    def moved(self, state: JobState, **changes: object) -> ImportProgress:
        if state is not self.state and state not in JOB_TRANSITIONS[self.state]:
            raise ValidationError(f"an import job cannot go from {self.state} to {state}")
        return replace(self, state=state, **changes)  # type: ignore[arg-type]

    def error_report_csv(self) -> str:
        """The rejected rows as CSV: ``line,reason`` (line as the importer numbers them)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["line", "reason"])
        writer.writerows((issue.line, issue.reason) for issue in self.issues)
        return out.getvalue()


def upload_suffix(filename: str) -> str:
    """The catalog format of an upload, from its name; refuses anything else."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise ValidationError(f"upload a {', '.join(ACCEPTED_SUFFIXES)} file")
    return suffix


Runner = Callable[[Path, str, Callable[[int, ImportReport], None]], ImportReport]


@dataclass
class ImportJobs:
    """The jobs of this process and the one worker that runs them."""

    uploads: Path
    run: Runner  # (path, merchant_id, on_row) -> report
    _jobs: OrderedDict[str, ImportProgress] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _worker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="import")
    )

    def get(self, job_id: str) -> ImportProgress | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _set(self, progress: ImportProgress) -> None:
        with self._lock:
            self._jobs[progress.job_id] = progress
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)

    def start(self, merchant_id: str, filename: str, data: bytes) -> ImportProgress:
        """Save the upload and queue it; the answer is the queued job."""
        suffix = upload_suffix(filename)
        if len(data) > MAX_UPLOAD_BYTES:
            raise ValidationError(f"the file is larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
        job_id = "imp_" + secrets.token_hex(8)
        self.uploads.mkdir(parents=True, exist_ok=True)
        path = self.uploads / f"{job_id}{suffix}"
        path.write_bytes(data)
        progress = ImportProgress(job_id, merchant_id, Path(filename).name[:200])
        self._set(progress)
        self._worker.submit(self._run, progress, path)
        return progress

    def _run(self, queued: ImportProgress, path: Path) -> None:
        current = queued.moved(JobState.RUNNING)
        self._set(current)

        rows_read = [0]

        def on_row(rows: int, report: ImportReport) -> None:
            rows_read[0] = rows
            if rows % PROGRESS_EVERY:
                return
            self._set(
                replace(
                    current,
                    rows_read=rows,
                    inserted=report.inserted,
                    updated=report.updated,
                    unchanged=report.unchanged,
                    issues=tuple(report.issues),
                )
            )

        try:
            report = self.run(path, queued.merchant_id, on_row)
        except (TrustcartError, OSError, ValueError) as e:
            latest = self.get(queued.job_id) or current
            self._set(latest.moved(JobState.FAILED, rows_read=rows_read[0], error=str(e)[:500]))
        else:
            latest = self.get(queued.job_id) or current
            self._set(
                latest.moved(
                    JobState.DONE,
                    rows_read=rows_read[0],
                    inserted=report.inserted,
                    updated=report.updated,
                    unchanged=report.unchanged,
                    issues=tuple(report.issues),
                )
            )
        finally:
            path.unlink(missing_ok=True)

    def wait(self, job_id: str, timeout: float = 60.0) -> ImportProgress | None:
        """Block until the job ends (tests and the CLI); None for an unknown job."""
        done = threading.Event()
        self._worker.submit(done.set)  # the worker runs jobs in order
        done.wait(timeout)
        return self.get(job_id)

    def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)
