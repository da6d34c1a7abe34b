"""A throwaway PostgreSQL server for the test session.

Order of preference:
1. ``TRUSTCART_TEST_POSTGRES_URL`` names a server someone else started (CI may do this);
2. PostgreSQL's binaries (``initdb``, ``pg_ctl``) exist: start a private server in a temporary
   folder on a free loopback port, and stop it at the end;
3. neither: the PostgreSQL tests are skipped, and the run says so plainly.

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` system user
that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PostgresServer:
    admin_url: str  # connects to the 'postgres' maintenance database
    stop: Callable[[], None]

    def url_for(self, database: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + database


def _find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_postgres() -> tuple[PostgresServer | None, str]:
    """Return (server, '') or (None, reason it could not be had)."""
    url = os.environ.get("TRUSTCART_TEST_POSTGRES_URL")
    if url:
        return PostgresServer(admin_url=url, stop=lambda: None), ""
    initdb, pg_ctl = _find_bin("initdb"), _find_bin("pg_ctl")
    if not initdb or not pg_ctl:
        return None, "PostgreSQL's binaries (initdb, pg_ctl) were not found"
    prefix: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="trustcart-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            return None, "running as root and there is no 'postgres' user to run the server"
        os.chown(workdir, user.pw_uid, user.pw_gid)
        os.chmod(workdir, 0o700)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = workdir / "data", _free_port()
    try:
        subprocess.run(
            [
                *prefix,
                initdb,
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [
                *prefix,
                pg_ctl,
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(workdir / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=90,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        detail = getattr(e, "stderr", b"") or b""
        shutil.rmtree(workdir, ignore_errors=True)
        return None, f"could not start PostgreSQL: {e} {detail.decode(errors='replace')[-300:]}"

    def stop() -> None:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        time.sleep(0.2)
        shutil.rmtree(workdir, ignore_errors=True)

    return PostgresServer(
        admin_url=f"postgresql://postgres@127.0.0.1:{port}/postgres", stop=stop
    ), ""
