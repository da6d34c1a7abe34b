"""A deterministic demo marketplace: merchants, 10,000+ products and coupons, and its seeding.

Everything comes from the ``random.Random`` passed in, so one seed gives byte-identical data on
every machine. The data lives in two modules: ``seed_merchants`` (the merchants around West
Lake, their coupons, demo keys) and ``seed_products`` (the tea menus the demo depends on and
the generated bulk). This module assembles them into a ``SeedCatalog`` and writes it to the
store: ``seed_catalog`` in one transaction, ``seed_if_empty`` only when the store has no
merchant yet, from ``DEMO_SEED``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from trustcart.commerce.catalog import Coupon, Merchant, Product
from trustcart.commerce.repository import insert_catalog
from trustcart.local.seed_merchants import MERCHANTS, demo_coupons
from trustcart.local.seed_products import generate_products
from trustcart.store.commerce import MerchantRow
from trustcart.store.db import Database

DEMO_SEED = 20261129


@dataclass(frozen=True)
class SeedCatalog:
    """The demo catalog: merchants, products and coupons, ready to insert."""

    merchants: tuple[Merchant, ...]
    products: tuple[Product, ...]
    coupons: tuple[Coupon, ...]


def generate_catalog(rng: random.Random, *, product_count: int = 10_000) -> SeedCatalog:
    """Build the demo catalog from ``rng`` alone (same seed, same catalog)."""
    products = generate_products(rng, product_count=product_count)
    return SeedCatalog(MERCHANTS, tuple(products), demo_coupons())


def seed_catalog(db: Database, rng: random.Random, *, product_count: int = 10_000) -> SeedCatalog:
    """Generate the catalog and insert it in one transaction (executemany per table)."""
    catalog = generate_catalog(rng, product_count=product_count)
    with db.transaction() as session:
        insert_catalog(session, catalog.merchants, catalog.products, catalog.coupons)
    return catalog


def seed_if_empty(db: Database, progress: Callable[[str], None] = lambda _m: None) -> int:
    """Seed the demo catalog when the store has no merchants; return the merchant count."""
    with db.transaction() as session:
        count = session.scalar(select(func.count()).select_from(MerchantRow)) or 0
    if count == 0:
        progress("seeding the catalog (5+ merchants, 10,000+ products)")
        seed_catalog(db, random.Random(DEMO_SEED))  # noqa: S311 - reproducible demo data, not secrets
        with db.transaction() as session:
            count = session.scalar(select(func.count()).select_from(MerchantRow)) or 0
    return int(count)
