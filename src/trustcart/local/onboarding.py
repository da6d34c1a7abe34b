"""Onboarding on one machine: a new merchant's rows, its signing key, its published JWKS.

``onboard_merchant`` is what ``trustcart merchants create`` and the web console's form both
call. It writes the merchant and its coupons (``commerce.onboarding.register_merchant``), then
generates the merchant's Ed25519 key in the key store under ``merchant:<id>``, the name
``deployment.build`` loads merchant keys by. With a running deployment it also registers the
key in the key directory (role ``merchant``) and with the merchant service, so carts are signed
and the key is in ``/.well-known/jwks.json`` at once; without one, the next start does both.

Catalog imports for a running deployment go through ``import_into``: the one importer
(``commerce.ingest.import_catalog``), then the changed products into the deployment's search
index (``commerce.catalog_search.index_catalog``), so agents find them on the next query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from trustcart.commerce.catalog import Coupon, Merchant
from trustcart.commerce.catalog_search import index_catalog
from trustcart.commerce.ingest import ImportReport, import_catalog
from trustcart.commerce.onboarding import MerchantApplication, register_merchant
from trustcart.commerce.repository import load_merchants
from trustcart.crypto.keys import jwks
from trustcart.local.deployment import Deployment
from trustcart.local.keystore import KeyStore
from trustcart.store.commerce import CouponRow, ProductRow
from trustcart.store.db import Database


def merchant_key_name(merchant_id: str) -> str:
    """The key store name of a merchant's signing key (``deployment.build`` reads it)."""
    return f"merchant:{merchant_id}"


@dataclass(frozen=True)
class OnboardedMerchant:
    merchant: Merchant
    coupons: tuple[Coupon, ...]
    kid: str
    public_jwk: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The shape ``trustcart merchants create --json`` prints (README: contracts)."""
        return {
            **merchant_json(self.merchant),
            "kid": self.kid,
            "jwks": jwks([_public(self.public_jwk)]),
            "coupons": [c.to_json() for c in self.coupons],
        }


def _public(jwk: dict[str, Any]) -> Any:
    from trustcart.crypto.keys import PublicKey

    return PublicKey.from_jwk(jwk)


def merchant_json(merchant: Merchant) -> dict[str, Any]:
    """A merchant with both names, always present (``name_zh`` may be empty)."""
    return {**merchant.to_json(), "name_zh": merchant.name_zh}


def onboard_merchant(
    db: Database,
    keys: KeyStore,
    application: MerchantApplication,
    *,
    now: datetime,
    deployment: Deployment | None = None,
    merchant_id: str | None = None,
) -> OnboardedMerchant:
    """Register the merchant, generate and keep its key, publish it where a deployment runs."""
    merchant, coupons = register_merchant(db, application, now=now, merchant_id=merchant_id)
    key = keys.get(merchant_key_name(merchant.merchant_id))
    if deployment is not None:
        deployment.directory.register(key.public, party_id=merchant.merchant_id, role="merchant")
        deployment.merchants.add_merchant_key(merchant.merchant_id, key)
        deployment.merchant_keys[merchant.merchant_id] = key
    return OnboardedMerchant(merchant, tuple(coupons), key.kid, key.public.to_jwk())


def list_merchants(db: Database, keys_path: Path) -> list[dict[str, Any]]:
    """Every merchant with its kid (None until its key exists), product and coupon counts."""
    stored = KeyStore(keys_path) if keys_path.exists() else None
    with db.transaction() as session:
        merchants = load_merchants(session)
        products = dict(
            session.execute(
                select(ProductRow.merchant_id, func.count()).group_by(ProductRow.merchant_id)
            ).all()
        )
        coupons = dict(
            session.execute(
                select(CouponRow.merchant_id, func.count()).group_by(CouponRow.merchant_id)
            ).all()
        )
    listed = []
    for merchant in merchants:
        name = merchant_key_name(merchant.merchant_id)
        kid = stored.kid_of(name) if stored is not None else None
        listed.append(
            {
                **merchant_json(merchant),
                "kid": kid,
                "products": int(products.get(merchant.merchant_id, 0)),
                "coupons": int(coupons.get(merchant.merchant_id, 0)),
            }
        )
    return listed


def import_into(
    deployment: Deployment,
    path: Path,
    *,
    now: datetime,
    merchant_id: str | None,
    on_row: Callable[[int, ImportReport], None] | None = None,
    batch_size: int | None = None,
) -> ImportReport:
    """Import a catalog file into a running deployment and index what changed."""
    options: dict[str, Any] = {}
    if on_row is not None:
        options["on_row"] = on_row
    if batch_size is not None:
        options["batch_size"] = batch_size
    report = import_catalog(deployment.db, path, now=now, merchant_id=merchant_id, **options)
    if report.changed_ids and deployment.catalog_index is not None:
        index_catalog(deployment.db, deployment.catalog_index, report.changed_ids)
    return report
