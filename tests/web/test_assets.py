"""The vendored browser assets are the registry's files, unchanged; the API docs use them only."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trustcart.api.common import create_app

SRC = Path(__file__).resolve().parents[2] / "src" / "trustcart"
FOLDERS = [SRC / "web" / "static" / "vendor", SRC / "api" / "static" / "swagger-ui"]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_vendored_files_match_their_manifest(folder: Path) -> None:
    manifest = json.loads((folder / "VENDORED.json").read_text(encoding="utf-8"))
    assert manifest["registry"] == "npm"
    assert manifest["version"]
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"], name


def test_every_api_docs_page_loads_its_assets_from_its_own_origin() -> None:
    client = TestClient(create_app("trustcart test"))
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert "/docs-assets/swagger-ui-bundle.js" in html
    assert "/docs-assets/swagger-ui.css" in html
    assert "https://" not in html
    assert "http://" not in html
    assert '"validatorUrl": null' in html
    bundle = client.get("/docs-assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert len(bundle.content) > 1_000_000
    assert client.get("/redoc").status_code == 404  # ReDoc would come from a CDN: off
    assert client.get("/openapi.json").status_code == 200
