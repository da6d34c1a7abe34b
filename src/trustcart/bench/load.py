"""A closed-loop load generator: ``concurrency`` threads, each repeating one step for a while.

Strategy: every worker thread owns its own step (its own clients, its own credential), calls
it back to back until the deadline and times each call with ``time.perf_counter``. A step that
raises counts as an error, not as a completed operation; the first error is kept so that a
report can say what went wrong. Figures are computed from the completed calls only:
throughput is completed calls over the wall time of the run, p50 and p99 are latency
percentiles (nearest rank) in milliseconds. The process's CPU time over the run (every thread:
the servers run in this process too) per completed call is the figure that a machine shared
with other work disturbs least.

Rules: the step is the whole operation measured (nothing outside it is timed); a worker that
starts a step before the deadline finishes it (so a run lasts ``seconds`` plus one step); a
step that raises ``StepsExhausted`` ends its worker early.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Step = Callable[[], object]


class StepsExhausted(Exception):
    """Raised by a step that has nothing left to do: its worker stops, no error counted."""


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 for none).

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5)
    2.0
    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.99)
    4.0
    >>> percentile([], 0.5)
    0.0
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError("fraction must be in (0, 1]")
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return float(sorted_values[rank - 1])


@dataclass(frozen=True)
class LoadFigures:
    """What one closed-loop run measured."""

    completed: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]
    first_error: str | None = None
    cpu_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.completed < 0 or self.errors < 0 or self.seconds <= 0:
            raise ValueError("counts must be non-negative and the run must have lasted")
        if len(self.latencies_ms) != self.completed:
            raise ValueError("one latency per completed call")

    @property
    def throughput(self) -> float:
        """Completed calls per second of wall time."""
        return self.completed / self.seconds

    def to_json(self) -> dict[str, object]:
        ordered = sorted(self.latencies_ms)
        return {
            "completed": self.completed,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.throughput, 2),
            "p50_ms": round(percentile(ordered, 0.5), 1),
            "p99_ms": round(percentile(ordered, 0.99), 1),
            "cpu_ms_per_op": round(1000 * self.cpu_seconds / self.completed, 1)
            if self.completed
            else None,
            "first_error": self.first_error,
        }


def merge(runs: Sequence[LoadFigures]) -> LoadFigures:
    """Several runs of the same thing as one (counts and wall time added)."""
    errors = [r.first_error for r in runs if r.first_error]
    return LoadFigures(
        completed=sum(r.completed for r in runs),
        errors=sum(r.errors for r in runs),
        seconds=sum(r.seconds for r in runs),
        latencies_ms=tuple(x for r in runs for x in r.latencies_ms),
        first_error=errors[0] if errors else None,
        cpu_seconds=sum(r.cpu_seconds for r in runs),
    )


def run_closed_loop(
    steps: Sequence[Step], seconds: float, cpu_clock: Callable[[], float] = time.process_time
) -> LoadFigures:
    """Run each step in its own thread, back to back, for ``seconds``; one thread a step.

    ``cpu_clock``: CPU seconds of everything measured (this process; with worker processes,
    theirs too)."""
    if not steps or seconds <= 0:
        raise ValueError("need at least one step and a positive duration")
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    cpu_started = cpu_clock()
    started = time.perf_counter()
    deadline = started + seconds

    def work(step: Step) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                step()
            except StepsExhausted:
                return
            except Exception as e:  # counted and reported, never hidden
                with lock:
                    errors.append(f"{type(e).__name__}: {e}"[:300])
                time.sleep(0.05)  # a failing step must not spin
                continue
            elapsed = (time.perf_counter() - began) * 1000.0
            with lock:
                latencies.append(elapsed)

    threads = [
        threading.Thread(target=work, args=(step,), name=f"bench-{i}", daemon=True)
        for i, step in enumerate(steps)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadFigures(
        completed=len(latencies),
        errors=len(errors),
        seconds=time.perf_counter() - started,
        latencies_ms=tuple(latencies),
        first_error=errors[0] if errors else None,
        cpu_seconds=cpu_clock() - cpu_started,
    )
