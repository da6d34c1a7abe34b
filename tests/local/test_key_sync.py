"""``local.key_sync``: a worker follows the keys the parent registers while serving.

Two installations built on one store and one ``$TRUSTCART_HOME``, as ``serve --workers`` has
them: the parent, and a worker built before the parent onboarded a merchant or opened a wallet.
Attacks: a merchant whose key is not saved yet (nothing generated, tried again), an account
claiming the payment provider's kid, and a revoked key coming back through an account.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.web import MERCHANT_FORM, MERCHANT_ID
from trustcart.commerce.onboarding import MerchantApplication, register_merchant
from trustcart.core.money import Money
from trustcart.crypto.keys import SigningKey
from trustcart.local.deployment import PSP_ID, Deployment, build
from trustcart.local.key_sync import KeyFollower
from trustcart.local.keystore import KeyStore
from trustcart.local.onboarding import merchant_key_name, onboard_merchant
from trustcart.local.servers import ROLE_NAMES, Endpoints, free_port
from trustcart.store.db import Database
from trustcart.trust.directory import usable_key


def _application() -> MerchantApplication:
    fields: dict[str, Any] = {k: v for k, v in MERCHANT_FORM.items() if k != "currency"}
    return MerchantApplication.parse(**fields)


@pytest.fixture
def pair(db: Database, tmp_path: Path) -> Iterator[tuple[Deployment, Deployment]]:
    """(parent, worker): the worker built first, as a worker is when ``serve`` starts."""
    endpoints = Endpoints.on_ports({role: free_port() for role in ROLE_NAMES})
    parent = build(db, tmp_path, endpoints)
    worker = build(db, tmp_path, endpoints)
    try:
        yield parent, worker
    finally:
        worker.close()
        parent.close()


def test_a_merchant_and_a_wallet_registered_later_reach_the_worker(
    pair: tuple[Deployment, Deployment], tmp_path: Path
) -> None:
    parent, worker = pair
    onboarded = onboard_merchant(
        parent.db, parent.keys, _application(), now=parent.clock.now(), deployment=parent
    )
    wallet = SigningKey.generate()
    parent.psp.open_account("acct_bob", "user:bob", wallet.public, Money.parse("50", "CNY"))
    assert worker.directory.resolve(onboarded.kid) is None  # refused as unknown until followed
    keys_before = (tmp_path / "keys.json").read_bytes()

    result = KeyFollower(worker, tmp_path).sync()

    assert result.merchants == [onboarded.kid]
    assert wallet.kid in result.delegators
    merchant = usable_key(worker.directory, onboarded.kid, worker.clock.now(), roles=("merchant",))
    assert merchant is not None
    assert merchant.party_id == MERCHANT_ID
    signing = worker.merchants.merchant_key(MERCHANT_ID)
    assert signing is not None
    assert signing.kid == onboarded.kid
    bob = usable_key(worker.directory, wallet.kid, worker.clock.now(), roles=("delegator",))
    assert bob is not None
    assert bob.party_id == "user:bob"
    assert (tmp_path / "keys.json").read_bytes() == keys_before  # the worker wrote nothing
    again = KeyFollower(worker, tmp_path).sync()
    assert (again.merchants, again.delegators, again.skipped) == ([], [], {})


def test_a_merchant_whose_key_is_not_saved_yet_is_not_given_one(
    pair: tuple[Deployment, Deployment], tmp_path: Path
) -> None:
    parent, worker = pair
    register_merchant(parent.db, _application(), now=parent.clock.now())  # no key yet
    follower = KeyFollower(worker, tmp_path)
    keys_before = (tmp_path / "keys.json").read_bytes()

    assert follower.sync().merchants == []
    assert (tmp_path / "keys.json").read_bytes() == keys_before
    assert worker.merchants.merchant_key(MERCHANT_ID) is None

    saved = KeyStore(tmp_path / "keys.json").get(merchant_key_name(MERCHANT_ID))  # the parent
    assert follower.sync().merchants == [saved.kid]
    followed = worker.merchants.merchant_key(MERCHANT_ID)
    assert followed is not None
    assert followed.kid == saved.kid


def test_an_account_cannot_take_a_kid_that_belongs_to_another_party(
    pair: tuple[Deployment, Deployment], tmp_path: Path
) -> None:
    parent, worker = pair
    psp_key = parent.keys.get("psp")  # the payment provider's key, claimed as a wallet's
    parent.psp.open_account("acct_mallory", "user:mallory", psp_key.public, Money.parse("1", "CNY"))
    follower = KeyFollower(worker, tmp_path)

    assert follower.sync().delegators == []
    entry = worker.directory.resolve(psp_key.kid)
    assert entry is not None
    assert (entry.party_id, entry.role) == (PSP_ID, "psp")


def test_a_revoked_key_does_not_come_back_through_an_account(
    pair: tuple[Deployment, Deployment], tmp_path: Path
) -> None:
    parent, worker = pair
    wallet = SigningKey.generate()
    worker.directory.register(wallet.public, party_id="user:carol", role="delegator")
    worker.directory.revoke(wallet.kid)
    parent.psp.open_account("acct_carol", "user:carol", wallet.public, Money.parse("1", "CNY"))

    result = KeyFollower(worker, tmp_path).sync()

    assert result.delegators == []
    entry = worker.directory.resolve(wallet.kid)
    assert entry is not None
    assert entry.revoked
    assert usable_key(worker.directory, wallet.kid, worker.clock.now()) is None
