"""The bench-only switch cannot reach what ``build`` (and so ``trustcart serve``) serves.

The served merchant and PSP apps verify every request: an unsigned request and one signed by
a key the directory does not list are refused, and their verifier is the real one. Only
``trustcart.bench`` imports the unchecked classes, and the unchecked verifier really does skip
the check (so the bench's comparison measures something).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from trustcart.api.agent_auth import AgentRequestSigner, RequestVerifier
from trustcart.bench.unchecked import UncheckedRequestVerifier
from trustcart.crypto.keys import SigningKey
from trustcart.local.deployment import Deployment, build
from trustcart.local.servers import ROLE_NAMES, Endpoints
from trustcart.store.db import Database

SRC = Path(__file__).resolve().parents[2] / "src" / "trustcart"
PAYMENT = {"mode": "L2", "payment_token": "t", "iac": "x", "cart": "y", "request_id": "r1"}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    home = tmp_path_factory.mktemp("served")
    db = Database(f"sqlite:///{home / 'store.db'}")
    db.migrate()
    ports = dict.fromkeys(ROLE_NAMES, 9)  # never listened on: the apps are called in process
    return build(db, home, Endpoints.on_ports(ports))


@pytest.mark.parametrize("role", ["merchant", "psp"])
def test_served_apps_use_the_real_verifier(deployment: Deployment, role: str) -> None:
    verifier = deployment.apps[role].state.request_verifier
    assert type(verifier) is RequestVerifier
    assert not isinstance(verifier, UncheckedRequestVerifier)


@pytest.mark.parametrize(("role", "path"), [("psp", "/payments"), ("merchant", "/carts")])
def test_served_apps_refuse_unsigned_and_unknown_keys(
    deployment: Deployment, role: str, path: str
) -> None:
    client = TestClient(deployment.apps[role], raise_server_exceptions=False)
    unsigned = client.post(path, json=PAYMENT, headers={"Idempotency-Key": "k"})
    assert unsigned.status_code == 401
    assert unsigned.json()["code"] == "signature-missing"
    stranger = SigningKey.generate()
    request = httpx.Request(
        "POST", f"http://testserver{path}", json=PAYMENT, headers={"Idempotency-Key": "k"}
    )
    signed = next(AgentRequestSigner(stranger).auth_flow(request))
    refused = client.post(path, content=signed.content, headers=dict(signed.headers))
    assert refused.status_code == 401
    assert refused.json()["code"] == "unknown-agent"


def test_the_unchecked_verifier_skips_what_the_real_one_refuses(deployment: Deployment) -> None:
    unchecked = UncheckedRequestVerifier(
        deployment.directory, deployment.clock, kid=deployment.agent_key.kid
    )
    _, entry = unchecked.verify("POST", "http://psp/payments", [], b"{}")
    assert entry.kid == deployment.agent_key.kid
    with pytest.raises(Exception, match="sign"):
        deployment.apps["psp"].state.request_verifier.verify(
            "POST", "http://psp/payments", [], b"{}"
        )


def test_only_the_bench_imports_the_switch() -> None:
    importers = [
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if re.search(r"bench\.unchecked|AlwaysActive|UncheckedRequestVerifier", path.read_text())
    ]
    assert importers
    assert all(name.startswith("bench/") for name in importers), importers


def test_no_environment_variable_or_serve_option_reaches_the_switch() -> None:
    serving = [SRC / "cli" / "demo.py", *(SRC / "local").rglob("*.py")]  # serve, build, servers
    assert not any(
        re.search(r"unchecked|trust_checks|no_verify", p.read_text(), re.I) for p in serving
    )
    for module in ("unchecked.py", "checkout_setup.py"):
        assert "os.environ" not in (SRC / "bench" / module).read_text()
