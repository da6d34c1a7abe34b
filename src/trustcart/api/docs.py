"""Offline API docs: every app's ``/docs`` page loads Swagger UI from this package, never a CDN.

FastAPI's default ``/docs`` page pulls ``swagger-ui-bundle.js`` and its CSS from a CDN and
``/redoc`` pulls ReDoc the same way, so both are blank without a network. ``create_app`` turns
both defaults off and calls ``install_offline_docs``, which serves the page with the assets
committed under ``api/static/swagger-ui/`` (from the npm package ``swagger-ui-dist``, pinned in
``VENDORED.json`` there with each file's SHA-256; ``scripts/vendor_assets.py --check`` checks
them against the registry's tarball). Swagger UI's online validator badge is switched off too,
so the page makes no request beyond its own origin.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_ASSETS = Path(__file__).resolve().parent / "static" / "swagger-ui"
DOCS_URL = "/docs"
ASSETS_URL = "/docs-assets"


def install_offline_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (Swagger UI) and its assets from this package; needs ``openapi_url``."""
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(ASSETS_URL, StaticFiles(directory=SWAGGER_ASSETS), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )
