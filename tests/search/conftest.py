"""Indexes shared by the search tests (built once per session: a few seconds each)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.milvus_server import MilvusServerUnavailable, milvus_server
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


@pytest.fixture(scope="session")
def milvus_server_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Milvus Lite server process on a loopback TCP port (see tests/helpers/milvus_server)."""
    try:
        with milvus_server(tmp_path_factory.mktemp("milvus-server")) as uri:
            yield uri
    except MilvusServerUnavailable as e:
        pytest.skip(f"no Milvus server process here: {e}")
