"""How fast the command line starts, as ratios against baselines measured in the same run.

Each figure is the median wall time of a fresh process, run ``repeats`` times with the
commands interleaved so that a busy machine slows every command alike:

* ``trustcart --help`` against a bare ``python -c pass`` (target: within ~10x);
* one ``trustcart search "cotton t-shirt" --json`` on a store that is already seeded and
  indexed (a warm-up run does that first) against ``python -c "import numpy, tantivy,
  sqlalchemy"``, the libraries any search must load (target: within ~2x).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEARCH_QUERY = "cotton t-shirt"


@dataclass(frozen=True)
class Timed:
    name: str
    argv: tuple[str, ...]

    def run(self, env: dict[str, str]) -> float:
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own argv
            self.argv, check=False, env=env, capture_output=True, text=True
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{self.name} failed ({done.returncode}): {done.stderr[-500:]}")
        return elapsed


def trustcart_argv(*args: str) -> tuple[str, ...]:
    """The console script beside this interpreter, or the module entry point."""
    script = Path(sys.executable).with_name("trustcart")
    if script.exists():
        return (str(script), *args)
    return (sys.executable, "-c", "from trustcart.cli.main import main; main()", *args)


def run_startup_bench(home: Path, repeats: int = 7) -> dict[str, Any]:
    env = {**os.environ, "TRUSTCART_HOME": str(home)}
    commands = {
        "python": Timed("python -c pass", (sys.executable, "-c", "pass")),
        "help": Timed("trustcart --help", trustcart_argv("--help")),
        "imports": Timed(
            "import numpy, tantivy, sqlalchemy",
            (sys.executable, "-c", "import numpy, tantivy, sqlalchemy"),
        ),
        "search": Timed(
            f"trustcart search {SEARCH_QUERY!r} --json",
            trustcart_argv("search", SEARCH_QUERY, "--json"),
        ),
    }
    commands["search"].run(env)  # warm-up: seeds and indexes a new store, fills OS caches
    samples: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(repeats):
        for key, command in commands.items():
            samples[key].append(command.run(env))
    median = {key: statistics.median(values) for key, values in samples.items()}
    return {
        "repeats": repeats,
        "median_seconds": {commands[k].name: round(v, 4) for k, v in median.items()},
        "help_vs_python": round(median["help"] / median["python"], 2),
        "search_vs_imports": round(median["search"] / median["imports"], 2),
    }
