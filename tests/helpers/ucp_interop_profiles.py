"""Serve loopback platform profiles for spck-conformance's negotiation and signature checks.

    python -m tests.helpers.ucp_interop_profiles HOME CONFIG PORT     (runs until killed)

Adds to the runner's ``--config`` (written by ``tests.helpers.ucp_interop``; HOME is the store
``serve`` runs on) what its negotiation and signature checks need and the public internet
cannot give here: profile URLs on ``http://127.0.0.1:PORT`` (HTTP is accepted for loopback
profiles only) that exhibit one failure each (another protocol version, no shared capability,
not JSON, a 404); a good one that publishes a fresh ES256 key, whose private JWK the runner
signs with, and an Ed25519 key beside it (``algorithm_unsupported``); ``negotiation.harness``
(the runner's own loopback profile server) and ``signature.responses`` (the business signs every
response); and a second product for the cart conversion checks. Then it serves the profiles.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.helpers.ucp_interop import MERCHANT
from tests.helpers.ucp_platform import platform_document
from trustcart.core.home import default_database_url
from trustcart.crypto.keys import SigningKey
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database


def profiles(port: int) -> tuple[dict[str, bytes], dict[str, Any]]:
    """(path -> body, config additions) for a profile server on ``port``."""
    base = f"http://127.0.0.1:{port}"
    key, ed = SigningKey.generate("ES256"), SigningKey.generate("EdDSA")
    good = platform_document(key, "spck-es256")
    good["signing_keys"].append({**ed.public.to_jwk(), "kid": "spck-ed25519"})
    old = platform_document(key, "spck-es256", version="2026-01-11")
    none = platform_document(
        key, "spck-es256", capabilities={"com.example.other": [{"version": "2026-04-08"}]}
    )
    served = {
        "/good/.well-known/ucp": json.dumps(good).encode(),
        "/old/.well-known/ucp": json.dumps(old).encode(),
        "/none/.well-known/ucp": json.dumps(none).encode(),
        "/bad/.well-known/ucp": b"<html>not a profile</html>",
    }
    config = {
        "negotiation": {
            "harness": True,
            "validates_profile_url": f"{base}/good/.well-known/ucp",
            "unsupported_version_profile_url": f"{base}/old/.well-known/ucp",
            "incompatible_caps_profile_url": f"{base}/none/.well-known/ucp",
            "malformed_profile_url": f"{base}/bad/.well-known/ucp",
            "unreachable_profile_url": f"{base}/gone/.well-known/ucp",
        },
        "signature": {
            "responses": True,
            "platform_profile_url": f"{base}/good/.well-known/ucp",
            "request_private_jwk": {**key.to_private_jwk(), "kid": "spck-es256"},
            "unsupported_alg_kid": "spck-ed25519",
        },
    }
    return served, config


def _second_product(home: Path, first: str) -> str:
    """Another in-stock product of the config's merchant (for the cart conversion checks)."""
    db = Database(default_database_url(home))
    with db.read() as session:
        rows = session.scalars(
            select(ProductRow)
            .where(ProductRow.merchant_id == MERCHANT, ProductRow.product_id != first)
            .order_by(ProductRow.product_id)
        ).all()
        return next(r.product_id for r in rows if r.stock > 50 and r.price_minor <= 20_000)


def main(home: Path, config_path: Path, port: int) -> None:
    served, additions = profiles(port)
    config = json.loads(config_path.read_text("utf-8"))
    for section, values in additions.items():
        config.setdefault(section, {}).update(values)
    config.setdefault("cart", {})["second_product_id"] = _second_product(home, config["product_id"])
    config_path.write_text(json.dumps(config, indent=1), "utf-8")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "public, max-age=60")
            payload = body if body is not None else b'{"error": "not found"}'
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
