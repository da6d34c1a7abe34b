"""The merchant the pinned ACP examples talk about, seeded so that every example means something.

The examples of ``acp/examples/2026-04-17`` name a merchant selling in USD, items ``item_123``,
``item_456``, ``item_shirt``, ``item_pants``, ``item_laptop`` and ``item_mouse``, and discount
codes ``SAVE10``, ``SUMMER20``, ``LOYALTY5`` (valid) and ``EXPIRED50`` (expired); and an
automatic discount on orders over $50. ``seed_example_merchant`` puts exactly these in the
catalog (one transaction, idempotent), so the replays (``conformance.acp``, ``tests/acp``)
send the example bodies unchanged except for the payment token, which must be a real vault
token for the session being completed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from trustcart.commerce.acp.handler import AcpCheckoutHandler, AcpRequest
from trustcart.commerce.acp.platforms import register_platform
from trustcart.commerce.acp.render import Seller
from trustcart.commerce.catalog import Coupon, CouponKind, Merchant, Product
from trustcart.commerce.catalog_search import SearchHit
from trustcart.commerce.checkout_store import add_discount_code
from trustcart.commerce.repository import insert_catalog, load_merchant
from trustcart.commerce.service import MerchantService
from trustcart.core.clock import Clock
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.crypto.keys import SigningKey
from trustcart.payments.vault import Allowance, Card, VaultService
from trustcart.search.query import SearchQuery
from trustcart.store.db import Database

MERCHANT_ID = "acme_store"
VALID_FROM = datetime(2026, 1, 1, tzinfo=UTC)
VALID_UNTIL = datetime(2028, 1, 1, tzinfo=UTC)
EXPIRED_UNTIL = datetime(2026, 2, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)

_ITEMS = (
    ("item_123", "Organic Coffee Beans (1lb)", "grocery/tea", 1899),
    ("item_456", "Ceramic Pour-Over Dripper", "grocery/staples", 2500),
    ("item_shirt", "Linen Summer Shirt", "apparel/t-shirt", 4000),
    ("item_pants", "Chino Pants", "apparel/polo", 6000),
    ("item_laptop", "Ultralight Laptop 13", "electronics/accessories", 99900),
    ("item_mouse", "Wireless Mouse", "electronics/accessories", 4999),
)
# (coupon id, code or None for automatic, kind, value, threshold minor, valid until)
_COUPONS = (
    ("cp_auto_over50", None, CouponKind.FIXED, 599, 5000, VALID_UNTIL),
    ("cp_save10", "SAVE10", CouponKind.FIXED, 1000, 0, VALID_UNTIL),
    ("cp_summer20", "SUMMER20", CouponKind.PERCENT, 20, 0, VALID_UNTIL),
    ("cp_loyalty5", "LOYALTY5", CouponKind.FIXED, 500, 0, VALID_UNTIL),
    ("cp_expired50", "EXPIRED50", CouponKind.PERCENT, 50, 0, EXPIRED_UNTIL),
)


def usd(minor: int) -> Money:
    """An amount in US cents.

    >>> usd(1899).to_json()["currency"]
    'USD'
    """
    return Money(minor, "USD")


def example_merchant() -> Merchant:
    return Merchant(
        MERCHANT_ID,
        "Acme Store",
        GeoPoint(Decimal("37.7749"), Decimal("-122.4194")),
        Decimal("5000"),
        (
            "grocery/tea",
            "grocery/staples",
            "apparel/t-shirt",
            "apparel/polo",
            "electronics/accessories",
        ),
        "USD",
        usd(599),
    )


def seed_example_merchant(db: Database) -> str:
    """Insert the examples' merchant, items and coupons unless present; its id."""
    with db.transaction() as session:
        if load_merchant(session, MERCHANT_ID) is not None:
            return MERCHANT_ID
        products = [
            Product(pid, MERCHANT_ID, title, "", "Acme", category, usd(price), 1000, 2880)
            for pid, title, category, price in _ITEMS
        ]
        coupons = [
            Coupon(
                coupon_id,
                MERCHANT_ID,
                kind,
                value,
                usd(threshold),
                f"{code or 'automatic'}: {value}{'%' if kind is CouponKind.PERCENT else ''} off",
                VALID_FROM,
                until,
            )
            for coupon_id, code, kind, value, threshold, until in _COUPONS
        ]
        insert_catalog(session, [example_merchant()], products, coupons)
        session.flush()
        for coupon_id, code, *_rest in _COUPONS:
            if code is not None:
                add_discount_code(session, MERCHANT_ID, code, coupon_id)
    return MERCHANT_ID


class _NoSearch:
    """The ACP checkout never searches; the merchant service wants a search all the same."""

    def search(self, query: SearchQuery) -> list[SearchHit]:
        return []


@dataclass(frozen=True)
class AcpWorld:
    """One merchant's ACP checkout on ``db``: handler, vault, a platform and a vault client."""

    handler: AcpCheckoutHandler
    vault: VaultService
    api_key: str  # the platform's key at the merchant
    vault_client: str  # the platform's client id at the payment provider
    vault_key: str
    clock: Clock

    def mint(self, session_id: str, amount: Money) -> str:
        """A vault token for exactly this session and amount, valid for an hour."""
        card = Card("visa", "4242", "credit", hashlib.sha256(b"4242424242424242").hexdigest())
        allowance = Allowance(amount, MERCHANT_ID, session_id, self.clock.now() + HOUR)
        return self.vault.delegate(self.vault_client, card, allowance, {}).token

    def send_in_process(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """One request straight through the handler (no HTTP): status, headers, body."""
        response = self.handler.handle(
            AcpRequest(
                merchant_id=MERCHANT_ID,
                method=method,
                path=path,
                full_path=f"/acp/{MERCHANT_ID}{path}",
                headers={name.lower(): value for name, value in headers.items()},
                body=body,
            )
        )
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.body


def build_world(db: Database, clock: Clock, base_url: str, psp_url: str) -> AcpWorld:
    """Seed the examples' merchant and wire its ACP checkout (no ACT gate, in-process vault)."""
    seed_example_merchant(db)
    merchants = MerchantService(
        db,
        {MERCHANT_ID: SigningKey.generate()},
        clock,
        psp_endpoint=f"{psp_url}/payments",
        psp_id="psp:trustcart",
        search=_NoSearch(),
    )
    vault = VaultService(db, clock)
    checkout = merchants.checkout_service(vault)
    handler = AcpCheckoutHandler(
        db,
        checkout,
        clock,
        lambda mid: Seller(
            f"{base_url}/{mid}", f"{psp_url}/agentic_commerce/delegate_payment", "psp:trustcart"
        ),
    )
    with db.transaction() as session:
        registration = register_platform(session, MERCHANT_ID, "conformance", now=clock.now())
    client_id, client_key = vault.register_client("conformance")
    return AcpWorld(handler, vault, registration.api_key, client_id, client_key, clock)
