"""The CSV template imports cleanly, is the file the docs link, and every column is documented."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.clock import T0
from trustcart.commerce.ingest import FLAT_FIELDS, import_catalog
from trustcart.commerce.onboarding import MerchantApplication, register_merchant
from trustcart.store.db import Database
from trustcart.web.console_catalog import CATALOG_TEMPLATE

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_template_is_the_documented_file_and_names_every_column() -> None:
    assert (DOCS / "catalog-template.csv").read_text(encoding="utf-8") == CATALOG_TEMPLATE
    assert tuple(CATALOG_TEMPLATE.splitlines()[0].split(",")) == FLAT_FIELDS
    documented = (DOCS / "catalog-format.md").read_text(encoding="utf-8")
    for column in FLAT_FIELDS:
        assert f"| `{column}` |" in documented, column


def test_the_template_imports_without_a_rejected_row(db: Database, tmp_path: Path) -> None:
    application = MerchantApplication.parse(
        name="Lotus", name_zh="莲花", lat="30.25", lon="120.13", delivery_radius_km="5",
        shipping_fee="0", categories="drinks/milk-tea, apparel/t-shirt",
    )  # fmt: skip
    merchant, _ = register_merchant(db, application, now=T0)
    path = tmp_path / "template.csv"
    path.write_text(CATALOG_TEMPLATE, encoding="utf-8")
    report = import_catalog(db, path, now=T0, merchant_id=merchant.merchant_id)
    assert (report.inserted, report.issues) == (2, [])
