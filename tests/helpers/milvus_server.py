"""A Milvus server process on a loopback port, for running the Milvus suite over the network.

The PyPI package ``milvus-lite`` ships the Milvus Lite server binary (``milvus_lite/lib/milvus``).
pymilvus normally starts it on a Unix socket for a file URI; ``milvus_lite.server.Server`` with
an ``address`` starts the same binary as a gRPC server on a TCP port instead, which pymilvus
reaches with ``http://127.0.0.1:<port>``: the same client code path (gRPC over TCP) as a
standalone Milvus or a cluster's proxy. When the package or the binary is missing, or the
server does not answer, the caller skips with the reason.
"""

from __future__ import annotations

import contextlib
import socket
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

STARTUP_SECONDS = 30.0


class MilvusServerUnavailable(Exception):
    """No Milvus server could be started here; the message says why."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def milvus_server(folder: Path) -> Iterator[str]:
    """Start a Milvus Lite server storing its data in ``folder``; yield its URI; stop it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # milvus_lite imports pkg_resources
        try:
            from milvus_lite.server import Server  # type: ignore[import-untyped]
            from pymilvus import MilvusClient  # type: ignore[import-untyped]
        except ImportError as e:
            raise MilvusServerUnavailable(f"milvus-lite or pymilvus is not installed: {e}") from e
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    server = Server(str(folder / "milvus-server.db"), address=f"127.0.0.1:{port}")
    if not server.init() or not server.start():
        server.stop()
        raise MilvusServerUnavailable("the milvus-lite server binary did not start")
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                MilvusClient(uri, timeout=5).close()
                break
            except Exception as e:  # any failure to connect means "not yet"
                if time.monotonic() > deadline:
                    raise MilvusServerUnavailable(f"no answer on {uri}: {e}") from e
                time.sleep(0.5)
        yield uri
    finally:
        server.stop()
