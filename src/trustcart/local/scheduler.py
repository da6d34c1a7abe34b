"""The in-process scheduler of the embedded default: periodic jobs on one background thread.

``trustcart serve``, ``demo`` and ``chat`` run the installation's upkeep (the outbox relay, the
hold and credential expiry: ``upkeep``) on a ``Scheduler`` beside their servers. Beyond one
machine the same jobs run as their own worker (``trustcart relay``) or from cron
(``trustcart relay --once``, ``trustcart maintenance``): the jobs keep all their state in the
database, so where they run does not matter and two runners at once are safe.

Rules: a job runs at most once per ``every`` seconds and never overlaps itself (one thread);
an exception in a job is logged and the job runs again next time; ``stop`` wakes the thread at
once, lets a running job finish, and joins it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A named piece of periodic work, run every ``every`` seconds."""

    name: str
    every: float
    run: Callable[[], object]

    def __post_init__(self) -> None:
        if not self.name or self.every <= 0:
            raise ValueError("a job needs a name and a positive period")


class Scheduler:
    """Runs ``jobs`` on one daemon thread until ``stop``; a context manager."""

    def __init__(
        self,
        jobs: Sequence[Job],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        name: str = "trustcart-upkeep",
    ) -> None:
        self._jobs = tuple(jobs)
        self._monotonic = monotonic
        self._name = name
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs: dict[str, int] = {job.name: 0 for job in self._jobs}

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the scheduler was started already")
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the running job (if any) finishes; wait at most ``timeout`` seconds."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        due = dict.fromkeys((job.name for job in self._jobs), self._monotonic())
        while not self._stopping.is_set():
            for job in self._jobs:
                if self._stopping.is_set():
                    return
                if self._monotonic() < due[job.name]:
                    continue
                try:
                    job.run()
                except Exception:  # a failing job must not stop the others
                    _logger.exception("scheduled job %s failed", job.name)
                self.runs[job.name] += 1
                due[job.name] = self._monotonic() + job.every
            wait = min(due.values()) - self._monotonic() if due else 1.0
            self._stopping.wait(max(wait, 0.01))

    def __enter__(self) -> Scheduler:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
