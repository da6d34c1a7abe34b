"""The payment provider as a process of its own, for the crash tests (tests/local/).

    python -m tests.helpers.psp_process --database URL --home DIR --ports JSON \
        [--crash-after-commit]

It builds the installation in ``DIR`` (whose ``keys.json`` is the parent's) and serves only the
PSP's app with uvicorn on ``ports["psp"]``; the other roles are the parent's servers. With
``--crash-after-commit`` the process SIGKILLs itself right after the first payment commits,
before anything it owes (the ``transaction-completed`` record, the merchant's notice) has
left: the crash the outbox is there for.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from trustcart.local.deployment import build
from trustcart.local.servers import Endpoints
from trustcart.payments.provider import PaymentProvider
from trustcart.store.db import Database


def crash_after_commit(psp: PaymentProvider) -> None:
    """Die, without cleanup, at the first delivery of what a committed payment owes."""

    def die(_owed: Sequence[str]) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    psp._deliver_now = die  # type: ignore[method-assign,assignment]  # right after the commit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--ports", required=True)
    parser.add_argument("--crash-after-commit", action="store_true")
    args = parser.parse_args()
    ports = json.loads(args.ports)
    db = Database(args.database)
    deployment = build(db, args.home, Endpoints.on_ports(ports))
    if args.crash_after_commit:
        crash_after_commit(deployment.psp)
    uvicorn.run(deployment.apps["psp"], host="127.0.0.1", port=ports["psp"], log_level="warning")


if __name__ == "__main__":
    main()
