"""The parent side of multi-process serving: sockets, uvicorn's supervisor, and a runner.

``trustcart serve --workers N`` binds one listening socket per role here (a port in use is a
``ServerStartError`` before any worker starts) and runs ``supervise``: uvicorn's own
``Multiprocess`` supervisor (``uvicorn.supervisors.multiprocess``) over N spawned workers that
each serve every socket (``local.workers``). What uvicorn does, and trustcart does not redo:

* each worker answers a ping from the parent; one that dies or hangs is killed, reported on
  stderr (``Child process [PID] died``) and replaced;
* SIGINT (Ctrl+C) and SIGTERM stop every worker (SIGTERM to each, then join) and the parent;
  SIGHUP replaces the workers one by one (each rebuilt from the store);
* a worker that fails before it serves (its apps cannot be built) stops the parent instead of
  looping.

The supervisor installs signal handlers, so it runs in a main thread: ``serve`` calls it
directly; the benches and tests start it as its own process with ``WorkerProcesses``
(``python -m trustcart.local.worker_pool``, the spec in ``$TRUSTCART_WORKER_SPEC``), which waits
until every port answers and, with ``worker_header``, until every worker has answered once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from trustcart.local.workers import SPEC_ENV, WORKER_HEADER, WorkerSpec

if TYPE_CHECKING:
    from trustcart.local.http_limits import ServerLimits

# Each spawned worker imports this module again (it is the supervisor's ``__main__``) before
# it can answer the supervisor's first ping: what it imports at the top is kept light, the
# rest is imported where it is used.
WORKER_APP = "trustcart.local.workers:worker_app"
HEALTHCHECK_SECONDS = 30  # a worker busy importing on a loaded machine is not a dead one


def bind_sockets(host: str, ports: Mapping[str, int]) -> dict[str, socket.socket]:
    """One listening socket per app, inheritable by the workers; ``ServerStartError`` if one
    cannot be bound (the others are closed again)."""
    from trustcart.local.servers import ServerStartError

    bound: dict[str, socket.socket] = {}
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for name, port in ports.items():
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(2048)
        except OSError as e:
            sock.close()
            for other in bound.values():
                other.close()
            raise ServerStartError(f"the {name} server cannot listen on {host}:{port}") from e
        sock.set_inheritable(True)
        bound[name] = sock
    return bound


def supervise(
    spec: WorkerSpec,
    sockets: Mapping[str, socket.socket] | None = None,
    limits: ServerLimits | None = None,
) -> None:
    """Serve ``spec``'s apps from ``spec.workers`` processes until SIGINT or SIGTERM.

    Call it from the main thread. ``sockets`` (from ``bind_sockets``) stay the caller's to
    close; without them they are bound, and closed, here.
    """
    from uvicorn.supervisors.multiprocess import Multiprocess

    from trustcart.local.http_limits import uvicorn_config

    os.environ[SPEC_ENV] = spec.to_json()  # the spawned workers inherit the environment
    config = uvicorn_config(
        WORKER_APP,
        host=spec.host,
        port=next(iter(spec.ports.values())),
        limits=limits,
        log_level="info",  # the supervisor reports a dead worker at info level
        factory=True,
        workers=spec.workers,
        access_log=False,
        worker_healthcheck=HEALTHCHECK_SECONDS,
    )
    owned = bind_sockets(spec.host, spec.ports) if sockets is None else None
    listening = owned if owned is not None else sockets
    assert listening is not None
    try:
        Multiprocess(config, sockets=[listening[name] for name in spec.ports]).run()
    finally:
        for sock in (owned or {}).values():
            sock.close()


class WorkerProcesses:
    """``supervise`` in a process of its own, for benches and tests: start, wait, stop.

    >>> with WorkerProcesses(spec, log=Path("workers.log")) as pool:  # doctest: +SKIP
    ...     pool.worker_ids  # the pids seen in ``trustcart-worker`` (with ``worker_header``)
    """

    def __init__(self, spec: WorkerSpec, *, log: Path, python: str = sys.executable) -> None:
        self.spec = spec
        self.log = log
        self._python = python
        self._process: subprocess.Popen[bytes] | None = None
        self.worker_ids: set[str] = set()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def url(self, name: str) -> str:
        host = f"[{self.spec.host}]" if ":" in self.spec.host else self.spec.host
        return f"http://{host}:{self.spec.ports[name]}"

    def start(self, timeout: float = 120.0) -> None:
        """Start the supervisor and wait until it serves (see the module docstring)."""
        env = {**os.environ, SPEC_ENV: self.spec.to_json()}
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [self._python, "-m", "trustcart.local.worker_pool"],
                env=env,
                stdout=out,
                stderr=out,
            )
        try:
            self._wait_ready(time.monotonic() + timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, deadline: float) -> None:
        from trustcart.local.servers import ServerStartError

        pending = set(self.spec.ports)
        while pending or (self.spec.worker_header and len(self.worker_ids) < self.spec.workers):
            if self._process is None or self._process.poll() is not None:
                raise ServerStartError(f"the workers stopped: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise ServerStartError(f"the workers did not start in time: {self.log_tail()}")
            for name in sorted(pending or self.spec.ports):
                worker = self._probe(name)
                if worker is not None:
                    pending.discard(name)
                    if worker:
                        self.worker_ids.add(worker)
            time.sleep(0.05)

    def _probe(self, name: str) -> str | None:
        """The answering worker's id ("" without the header), or None if nothing answered."""
        import httpx

        try:  # a new connection each time, so the kernel may give it to another worker
            response = httpx.get(f"{self.url(name)}/", timeout=2.0)
        except httpx.HTTPError:
            return None
        return str(response.headers.get(WORKER_HEADER, ""))

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the supervisor and the processes it runs (Linux /proc;
        0.0 elsewhere). A worker that died takes its share with it."""
        if self._process is None:
            return 0.0
        pid = self._process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
        except OSError:
            return 0.0
        return sum(_cpu_seconds(p) for p in (pid, *map(int, children.split())))

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM to the supervisor (which stops its workers); SIGKILL if it does not exit."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)

    def __enter__(self) -> WorkerProcesses:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> None:
    """``python -m trustcart.local.worker_pool``: supervise ``$TRUSTCART_WORKER_SPEC``."""
    spec = WorkerSpec.from_json(os.environ[SPEC_ENV])
    with contextlib.suppress(KeyboardInterrupt):
        supervise(spec)


if __name__ == "__main__":
    main()
