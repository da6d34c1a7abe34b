"""A deterministic demo marketplace: merchants, 10,000+ products and coupons, and its seeding.

Everything comes from the ``random.Random`` passed in, so one seed gives byte-identical data on
every machine. The data lives in three modules: ``seed_merchants`` (the merchants, at least
three per vertical, their coupons, demo keys), ``seed_products`` (the tea menus the demo depends
on) and ``seed_skus`` (the bulk: SKUs with GTINs, each listed by several shops). This module
assembles them into a ``SeedCatalog``, gives every offer a past (``price_history``: two to five
weekly prices ending with today's at ``HISTORY_END``), and writes it to the store:
``seed_catalog`` in one transaction, ``seed_if_empty`` only when the store has no merchant yet,
from ``DEMO_SEED``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from trustcart.commerce.catalog import Coupon, Merchant, Product
from trustcart.commerce.price_history import PricePoint, insert_price_points
from trustcart.commerce.repository import insert_catalog
from trustcart.core.money import Money
from trustcart.local.seed_merchants import MERCHANTS, demo_coupons
from trustcart.local.seed_products import generate_products
from trustcart.store.commerce import MerchantRow
from trustcart.store.db import Database

DEMO_SEED = 20261129
HISTORY_END = datetime(2026, 11, 29, 8, tzinfo=UTC)  # today's price was observed then
HISTORY_STEP = timedelta(days=7)


@dataclass(frozen=True)
class SeedCatalog:
    """The demo catalog: merchants, products, coupons and past prices, ready to insert."""

    merchants: tuple[Merchant, ...]
    products: tuple[Product, ...]
    coupons: tuple[Coupon, ...]
    price_history: tuple[PricePoint, ...] = ()


def price_history(rng: random.Random, products: Sequence[Product]) -> list[PricePoint]:
    """Two to five weekly prices per product, the last one today's (at ``HISTORY_END``);
    earlier ones within -10 % .. +25 % of it, so today's price may be a good one or not."""
    points = []
    for product in products:
        weeks = rng.randrange(1, 5)
        for week in range(weeks, 0, -1):
            whole = max(1, round(product.price.minor / 100 * rng.uniform(0.9, 1.25)))
            past = Money(whole * 100 - rng.choice((0, 10)), product.price.currency)
            points.append(PricePoint(product.product_id, HISTORY_END - HISTORY_STEP * week, past))
        points.append(PricePoint(product.product_id, HISTORY_END, product.price))
    return points


def generate_catalog(rng: random.Random, *, product_count: int = 10_000) -> SeedCatalog:
    """Build the demo catalog from ``rng`` alone (same seed, same catalog)."""
    products = generate_products(rng, product_count=product_count)
    history = price_history(rng, products)
    return SeedCatalog(MERCHANTS, tuple(products), demo_coupons(), tuple(history))


def seed_catalog(db: Database, rng: random.Random, *, product_count: int = 10_000) -> SeedCatalog:
    """Generate the catalog and insert it in one transaction (executemany per table)."""
    catalog = generate_catalog(rng, product_count=product_count)
    with db.transaction() as session:
        insert_catalog(session, catalog.merchants, catalog.products, catalog.coupons)
        insert_price_points(session, catalog.price_history)
    return catalog


def seed_if_empty(db: Database, progress: Callable[[str], None] = lambda _m: None) -> int:
    """Seed the demo catalog when the store has no merchants; return the merchant count."""
    with db.transaction() as session:
        count = session.scalar(select(func.count()).select_from(MerchantRow)) or 0
    if count == 0:
        progress("seeding the catalog (15+ merchants, 10,000+ products)")
        seed_catalog(db, random.Random(DEMO_SEED))  # noqa: S311 - reproducible demo data, not secrets
        with db.transaction() as session:
            count = session.scalar(select(func.count()).select_from(MerchantRow)) or 0
    return int(count)
