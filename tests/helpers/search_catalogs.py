"""Search indexes over the demo seed and the generated evaluation catalog, for tests."""

from __future__ import annotations

import random
from pathlib import Path

from trustcart.bench.search_quality_sets import generated_offers
from trustcart.commerce.catalog_search import offer_from_product
from trustcart.local.seed import DEMO_SEED, generate_catalog
from trustcart.search.documents import IndexedOffer
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.embedding import default_embedder


def seed_offers(product_count: int = 2_000) -> list[IndexedOffer]:
    catalog = generate_catalog(random.Random(DEMO_SEED), product_count=product_count)
    merchants = {m.merchant_id: m for m in catalog.merchants}
    return [offer_from_product(p, merchants[p.merchant_id]) for p in catalog.products]


def build_index(folder: Path, offers: list[IndexedOffer]) -> EmbeddedCatalogIndex:
    index = EmbeddedCatalogIndex(folder, default_embedder())
    index.upsert(offers)
    index.commit()
    return index


def generated(chinese: bool) -> list[IndexedOffer]:
    return generated_offers(random.Random(5), per_good=20, chinese=chinese)
