"""A seeded store with every role on loopback, shared by the assistant's tests (SQLite).

Seeding 10,000 products takes a few seconds, so one store serves a whole test module; tests
that pay use their own proposals and credentials, and none depends on another's purchases.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from trustcart.assistant.proposals import deny_all
from trustcart.assistant.tools import ShoppingTools
from trustcart.local.deployment import Deployment
from trustcart.local.market import local_market


@pytest.fixture(scope="module")
def market_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("market")


@pytest.fixture(scope="module")
def market(market_home: Path) -> Iterator[tuple[ShoppingTools, Deployment]]:
    with local_market(market_home, f"sqlite:///{market_home / 'trustcart.db'}") as running:
        yield running


@pytest.fixture
def tools(market: tuple[ShoppingTools, Deployment]) -> Iterator[ShoppingTools]:
    shopping, _ = market
    shopping.approver = deny_all
    yield shopping
    shopping.approver = deny_all
