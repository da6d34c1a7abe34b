"""Indexes shared by the search tests (built once per session: a few seconds each)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.search_catalogs import build_index, generated, seed_offers
from trustcart.search.documents import IndexedOffer
from trustcart.search.embedded import EmbeddedCatalogIndex


@pytest.fixture(scope="session")
def seed() -> list[IndexedOffer]:
    return seed_offers()


@pytest.fixture(scope="session")
def seed_index(
    seed: list[IndexedOffer], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedCatalogIndex]:
    index = build_index(tmp_path_factory.mktemp("seed-index"), seed)
    yield index
    index.close()


@pytest.fixture(scope="session", params=[True, False], ids=["zh-titles", "english-only"])
def generated_index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedCatalogIndex]:
    index = build_index(tmp_path_factory.mktemp("generated-index"), generated(request.param))
    yield index
    index.close()
