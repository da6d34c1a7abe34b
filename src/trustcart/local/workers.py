"""Worker processes: what each of ``trustcart serve --workers N``'s processes serves, and how.

Strategy. The parent process (``local.worker_pool``) binds one listening socket per role and
hands all of them to uvicorn's own multi-process supervisor (``uvicorn.supervisors.Multiprocess``:
it spawns the workers, pings them, restarts one that dies and stops them all on Ctrl+C or
SIGTERM). Every worker is a fresh interpreter (spawn, not fork: no database connection, lock or
thread is inherited): ``worker_app`` reads the ``WorkerSpec`` the parent put in
``$TRUSTCART_WORKER_SPEC``, builds the whole installation on the same store and the same keys
(``local.deployment.build``) and serves every role's app behind ``PortDispatch``, which picks
the app by the local port a request arrived on. The kernel shares each socket's connections
between the workers.

Rules kept here, so that N processes behave as one installation:

* state that matters for security or money lives in the store, never in one worker's memory:
  the RFC 9421 nonce cache and the status service's replay cache (``store.nonces``: the insert
  is the check), idempotency keys (``commerce.checkout_idempotency``, the PSP's payments
  table), the budget ledger (row locks, ``BEGIN IMMEDIATE`` on SQLite), the log's append order
  (its head row, locked) and its tree-head cache (keyed by the size read from the store);
  ``docs/workers.md`` goes through each one;
* what stays per worker is either pure (parsed-JWS caches), read-only after start (the key
  directory and the keys, written by the parent before any worker starts), or bounded and
  never a basis for paying (the PSP's status cache during an outage, ``payments.holds``);
* per-client rate limits are split: each worker gets ``1/N`` of the configured rate and burst
  (``per_worker_limit``), so N workers together never allow more than the limit; a client
  whose connections all land on one worker gets less, never more;
* a worker that cannot build its apps exits before serving, and uvicorn's supervisor then
  stops the parent (the same failure on every restart would only loop).

>>> ports = {"status": 8701, "trust": 8702, "merchant": 8703, "psp": 8704}
>>> spec = WorkerSpec("/tmp/home", "sqlite:////tmp/home/trustcart.db", ports, workers=2)
>>> WorkerSpec.from_json(spec.to_json()) == spec
True
>>> WorkerSpec("/tmp/home", "sqlite:///x.db", ports, workers=65)
Traceback (most recent call last):
...
trustcart.core.errors.ValidationError: workers must be an integer from 1 to 64
"""

from __future__ import annotations

import importlib
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trustcart.core.errors import ValidationError
from trustcart.core.rate_limit import RateLimit

MAX_WORKERS = 64
SPEC_ENV = "TRUSTCART_WORKER_SPEC"
WORKER_HEADER = "trustcart-worker"  # the worker's pid, on every response when asked for
SERVED_APPS = "trustcart.local.workers:served_apps"
REQUIRED_ROLES = ("status", "trust", "merchant", "psp")  # every worker builds all four
API_ROLES = (*REQUIRED_ROLES, "ucp", "witness")  # Endpoints' fields


def check_workers(workers: object) -> int:
    """``workers`` if it is a whole number from 1 to ``MAX_WORKERS``; else ``ValidationError``.

    >>> check_workers(4)
    4
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ValidationError(f"workers must be an integer from 1 to {MAX_WORKERS}")
    return workers


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker process needs to build and serve the installation (JSON-safe).

    ``ports`` maps each served app's name to its port; ``apps`` names a function
    ``(Deployment) -> dict[str, ASGIApp]`` as ``module:function``: the served apps, or a
    function of the ``trustcart.bench`` package (the bench's own apps; nothing ``serve`` can
    name); ``worker_header`` adds ``trustcart-worker: <pid>`` to every
    response (tests and the bench use it to reach a given worker); ``trust_rate_limit`` is the
    per-worker share of the trust service's limit (``RATE/BURST`` or ``off``).
    """

    home: str
    database_url: str
    ports: Mapping[str, int]
    host: str = "127.0.0.1"
    workers: int = 1
    apps: str = SERVED_APPS
    worker_header: bool = False
    trust_rate_limit: str | None = None

    def __post_init__(self) -> None:
        check_workers(self.workers)
        for text, name in ((self.home, "home"), (self.database_url, "database_url")):
            if not isinstance(text, str) or not text:
                raise ValidationError(f"{name} must be a non-empty string")
        if not isinstance(self.ports, Mapping) or not self.ports:
            raise ValidationError("ports must map at least one app to a port")
        for name, port in self.ports.items():
            if not isinstance(name, str) or isinstance(port, bool) or not isinstance(port, int):
                raise ValidationError("ports must map app names to port numbers")
            if not 1 <= port <= 65535:
                raise ValidationError(f"port {port} of {name} is not a TCP port")
        if not isinstance(self.apps, str) or not (
            self.apps == SERVED_APPS or self.apps.startswith("trustcart.bench.")
        ):
            raise ValidationError("apps must be the served apps or the bench's own")
        missing = [role for role in REQUIRED_ROLES if role not in self.ports]
        if missing:
            raise ValidationError(f"ports must include {', '.join(missing)}")
        if len(set(self.ports.values())) != len(self.ports):
            raise ValidationError("every app needs a port of its own")
        module, _, function = self.apps.partition(":")
        if not module or not function:
            raise ValidationError("apps must name a function as module:function")
        # A read-only copy, so that the spec cannot change after it was checked.
        object.__setattr__(self, "ports", MappingProxyType(dict(sorted(self.ports.items()))))

    def to_json(self) -> str:
        return json.dumps(
            {
                "home": self.home,
                "database_url": self.database_url,
                "ports": dict(self.ports),
                "host": self.host,
                "workers": self.workers,
                "apps": self.apps,
                "worker_header": self.worker_header,
                "trust_rate_limit": self.trust_rate_limit,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> WorkerSpec:
        try:
            data = json.loads(text)
            return cls(**data)
        except (ValueError, TypeError) as e:
            raise ValidationError(f"not a worker spec: {e}") from e

    def endpoints_ports(self) -> dict[str, int]:
        """The ports of the roles ``Endpoints`` knows (the others are private to the apps)."""
        return {role: port for role, port in self.ports.items() if role in API_ROLES}


def per_worker_limit(limit: RateLimit | None, workers: int) -> RateLimit | None:
    """Each worker's share of a per-client limit: N shares never add up to more than ``limit``.

    >>> per_worker_limit(RateLimit(rate=100.0, burst=200), 3)
    RateLimit(rate=33.333333333333336, burst=66)
    >>> per_worker_limit(None, 3) is None
    True
    """
    check_workers(workers)
    if limit is None:
        return None
    return RateLimit(rate=limit.rate / workers, burst=max(1, math.floor(limit.burst / workers)))


def limit_text(limit: RateLimit | None) -> str:
    """The ``RATE/BURST`` text ``RateLimit.parse`` reads back (``off`` for no limit).

    >>> limit_text(RateLimit(rate=50.0, burst=100)), limit_text(None)
    ('50.0/100', 'off')
    """
    return "off" if limit is None else f"{limit.rate!r}/{limit.burst}"


class PortDispatch:
    """An ASGI app that hands each request to the app of the local port it arrived on.

    One uvicorn server in each worker listens on every role's socket; this is what keeps the
    roles apart. A port with no app (never bound by the parent) answers 404.
    """

    def __init__(self, apps: Mapping[int, ASGIApp], *, worker_header: bool = False) -> None:
        self._apps = dict(apps)
        self._header = (WORKER_HEADER.encode(), str(os.getpid()).encode())
        self._worker_header = worker_header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # the role apps run with lifespan off, as in one process
            await _refuse_lifespan(receive, send)
            return
        server = scope.get("server")
        app = self._apps.get(server[1]) if server else None
        if app is None:
            await _not_found(send)
            return
        if not self._worker_header or scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_worker(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self._header]}
            await send(message)

        await app(scope, receive, send_with_worker)


async def _refuse_lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _not_found(send: Send) -> None:
    body = b'{"title": "Not found", "status": 404}'
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [(b"content-type", b"application/problem+json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def served_apps(deployment: Any) -> dict[str, ASGIApp]:
    """What ``trustcart serve --workers N`` serves in each worker: every role's API app."""
    return dict(deployment.apps)


def _apps_function(name: str) -> Callable[[Any], Mapping[str, ASGIApp]]:
    module, _, function = name.partition(":")
    found: Callable[[Any], Mapping[str, ASGIApp]] = getattr(
        importlib.import_module(module), function
    )
    return found


def worker_app() -> PortDispatch:
    """The app of one worker process (uvicorn's factory): the installation built afresh here.

    Reads the ``WorkerSpec`` from ``$TRUSTCART_WORKER_SPEC``; the parent has migrated the store
    and written every key already, so nothing here generates a key or changes the schema.
    """
    from trustcart.api.rate_limit import RATE_LIMIT_ENV
    from trustcart.local.deployment import build
    from trustcart.local.key_sync import KeyFollower
    from trustcart.local.servers import Endpoints
    from trustcart.store.db import Database

    spec = WorkerSpec.from_json(os.environ[SPEC_ENV])
    if spec.trust_rate_limit is not None:  # read by the trust app as it is built
        os.environ[RATE_LIMIT_ENV] = spec.trust_rate_limit
    deployment = build(
        Database(spec.database_url),
        Path(spec.home),
        Endpoints.on_ports(spec.endpoints_ports(), spec.host),
    )
    apps = _apps_function(spec.apps)(deployment)
    # Merchants and wallets the parent registers while serving reach this worker within a second.
    KeyFollower(deployment, Path(spec.home)).start()
    missing = sorted(set(spec.ports) - set(apps))
    if missing:
        raise ValidationError(f"the worker builds no app for {', '.join(missing)}")
    return PortDispatch(
        {port: apps[name] for name, port in spec.ports.items()}, worker_header=spec.worker_header
    )
