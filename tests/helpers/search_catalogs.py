"""Search indexes over the demo seed and the generated evaluation catalog, for tests."""

from __future__ import annotations

import random
from pathlib import Path

from trustcart.commerce.embedding import default_embedder
from trustcart.commerce.search_embedded import EmbeddedCatalogIndex
from trustcart.commerce.search_index import IndexedOffer, offer_from_product
from trustcart.commerce.seed import DEMO_SEED, generate_catalog
from trustcart.search.evaluation_sets import generated_offers


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
