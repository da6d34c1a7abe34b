"""``MerchantService``: the marketplace's merchants, speaking ACT CID to agents.

It hosts several merchants, each with its own signing key, over one database, and is the one
object the HTTP shell and the composition root hold. It answers the small read-only requests
itself (keys, merchants, CID-MER-CAT items, CID-PCA-NEG capability and negotiation) and composes
one unit of work per larger operation, all sharing one ``Marketplace``:

    intent_query       ``IntentContextQuery``: CID-INT-XFR candidates with offers
    cart_confirmation  ``CartConfirmation``: CID-CART-CFM, price lock, stock, signed cart
    order_lifecycle    ``OrderLifecycle``: order, mark_paid, fulfil, cancel, expire_due

Each public method is one unit of work (``Database.transaction``), so a refusal leaves nothing
behind. Rules live in the pure modules (``cart``, ``coupons``, ``orders``,
``payment_capability``, ``intent_context``); these layers load, call them and store. Two reads
serve an agent that compares and parses on any catalog: ``compare`` (the same product across
merchants, ``commerce.compare``) and ``vocabulary`` (the catalog's own words,
``commerce.vocabulary``, rebuilt at most once a minute).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from trustcart.commerce.basket_market import (
    plan_market_basket,
    plan_to_json,
    wanted_from_request,
)
from trustcart.commerce.cart_confirmation import PRICE_LOCK, CartConfirmation, ConfirmedCart
from trustcart.commerce.catalog import Merchant
from trustcart.commerce.catalog_search import CatalogSearch
from trustcart.commerce.checkout_act import ActGate
from trustcart.commerce.checkout_payment import PaymentGateway
from trustcart.commerce.checkout_service import CheckoutService, OrderObserver
from trustcart.commerce.compare import compare_product
from trustcart.commerce.errors import CommerceProblem, NotFound
from trustcart.commerce.intent_query import IntentContextQuery
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.order_book import Order
from trustcart.commerce.order_lifecycle import OrderLifecycle
from trustcart.commerce.payment_capability import (
    PaymentOption,
    capability_document,
    negotiate,
    negotiation_response,
)
from trustcart.commerce.repository import load_merchants, product_from_row
from trustcart.commerce.requests import parse_negotiation
from trustcart.commerce.vocabulary import VocabularyCache
from trustcart.core.clock import Clock, format_instant
from trustcart.core.geo import GeoPoint
from trustcart.core.ids import RandomBytes
from trustcart.core.money import Money
from trustcart.crypto.keys import PublicKey, SigningKey, jwks
from trustcart.delivery.messages import MessageKind
from trustcart.delivery.relay import OutboxRelay
from trustcart.delivery.transports import Transport
from trustcart.store.commerce import ProductRow
from trustcart.store.db import Database

DEFAULT_METHOD = "trustcart-balance"


def default_method_schema_url(psp_endpoint: str, method_id: str) -> str:
    """Where the PSP describes a method: ``<origin>/.well-known/payment-methods/<id>.json``."""
    parts = urlsplit(psp_endpoint)
    return f"{parts.scheme}://{parts.netloc}/.well-known/payment-methods/{method_id}.json"


class MerchantService:
    """The merchants of one marketplace: the read-only answers, and the units of work composed."""

    def __init__(
        self,
        db: Database,
        keys: Mapping[str, SigningKey],
        clock: Clock,
        *,
        psp_endpoint: str,
        psp_id: str,
        search: CatalogSearch,
        random: RandomBytes = secrets.token_bytes,
        payment_methods: Mapping[str, str] | None = None,
        max_coupons: int = 3,
        price_lock: timedelta = PRICE_LOCK,
        log: Transport | None = None,
    ) -> None:
        """``payment_methods`` maps method_id -> method_schema_url (default: trustcart-balance).

        ``log`` carries act:commerce:cart-confirmed and fulfillment-completed to the
        transparency log, each signed by the merchant's own key and staged in the outbox with
        the order change it reports (``relay`` tries them after commit; none without ``log``).
        """
        self.relay = (
            OutboxRelay(db, clock, {MessageKind.RECORD: log}, random_bytes=random)
            if log is not None
            else None
        )
        self._market = Marketplace(db, dict(keys), clock, self.relay, random)
        self._random = random
        self.psp_id = psp_id
        methods = payment_methods or {
            DEFAULT_METHOD: default_method_schema_url(psp_endpoint, DEFAULT_METHOD)
        }
        self._options = tuple(
            PaymentOption(method_id, psp_id, psp_endpoint, schema_url)
            for method_id, schema_url in methods.items()
        )
        self._intents = IntentContextQuery(self._market, search, max_coupons=max_coupons)
        self._carts = CartConfirmation(
            self._market,
            self._options,
            random=random,
            max_coupons=max_coupons,
            price_lock=price_lock,
        )
        self._orders = OrderLifecycle(self._market)
        self._vocabulary = VocabularyCache(db, clock)

    def checkout_service(
        self,
        gateway: PaymentGateway,
        *,
        act: ActGate | None = None,
        observers: Sequence[OrderObserver] = (),
    ) -> CheckoutService:
        """The checkout sessions (ACP, UCP) on this marketplace's cart confirmation."""
        return CheckoutService(
            self._market,
            self._carts,
            gateway,
            payment_method=self._options[0].method_id,
            act=act,
            observers=observers,
            random=self._random,
        )

    # -- keys and merchants -------------------------------------------------------------------

    def merchant_public_keys(self) -> dict[str, PublicKey]:
        """merchant_id -> public key (for the trust directory and cart verifiers)."""
        return {merchant_id: key.public for merchant_id, key in sorted(self._market.keys.items())}

    def merchant_jwks(self) -> dict[str, Any]:
        return jwks(self.merchant_public_keys().values())

    def merchant_key(self, merchant_id: str) -> SigningKey | None:
        """The merchant's signing key as it stands (keys added while running included)."""
        return self._market.keys.get(merchant_id)

    def add_merchant_key(self, merchant_id: str, key: SigningKey) -> None:
        """Sign carts for a merchant onboarded while running (its JWKS is published at once)."""
        self._market.add_key(merchant_id, key)

    def merchants(self) -> list[dict[str, Any]]:
        with self._market.db.transaction() as session:
            merchants = load_merchants(session)
        return [self._merchant_json(m) for m in merchants]

    def _merchant_json(self, merchant: Merchant) -> dict[str, Any]:
        key = self._market.keys.get(merchant.merchant_id)
        return {**merchant.to_json(), "kid": key.kid if key else None}

    # -- CID-MER-CAT ----------------------------------------------------------------------------

    def catalog_item(self, product_id: str) -> dict[str, Any]:
        with self._market.db.transaction() as session:
            row = session.get(ProductRow, product_id)
            if row is None:
                raise NotFound(CommerceProblem.UNKNOWN_PRODUCT, f"no product {product_id}")
            product = product_from_row(row)
            merchant = self._market.merchant(session, product.merchant_id)
        return {
            **product.to_json(),
            "merchant": {
                "merchant_id": merchant.merchant_id,
                "name": merchant.name,
                "url": f"/merchants/{merchant.merchant_id}",
            },
        }

    def compare(self, product_id: str, location: GeoPoint | None = None) -> dict[str, Any]:
        """The product at every merchant that sells it, best delivered total first."""
        comparison = compare_product(
            self._market.db, product_id, now=self._market.clock.now(), location=location
        )
        return {
            **comparison.to_json(),
            "generated_at": format_instant(self._market.clock.now()),
        }

    def plan_basket(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The cheapest delivered split of several wanted items over every merchant that sells
        them, each merchant's coupons on its combined cart (``basket_market``)."""
        plan = plan_market_basket(
            self._market.db, wanted_from_request(request), now=self._market.clock.now()
        )
        return plan_to_json(plan)

    def vocabulary(self) -> dict[str, Any]:
        """The catalog's categories, item names (EN, 中文) and attribute values."""
        return self._vocabulary.current()

    # -- CID-PCA-NEG ----------------------------------------------------------------------------

    def payment_capability(self, merchant_id: str) -> dict[str, Any]:
        with self._market.db.transaction() as session:
            self._market.merchant(session, merchant_id)
        return capability_document(merchant_id, self._options)

    def negotiate_payment(self, merchant_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        parsed = parse_negotiation(request)
        with self._market.db.transaction() as session:
            merchant = self._market.merchant(session, merchant_id)
        common = negotiate(self._options, parsed, merchant_currency=merchant.currency)
        return negotiation_response(merchant_id, parsed, common)

    # -- CID-INT-XFR, CID-CART-CFM and orders: the composed units of work -----------------------

    def query_intent_context(
        self, request: Mapping[str, Any], *, agent_id: str | None = None
    ) -> dict[str, Any]:
        """Candidates with offers for an intent context (``IntentContextQuery``)."""
        return self._intents.query_intent_context(request, agent_id=agent_id)

    def confirm_cart(self, request: Mapping[str, Any]) -> ConfirmedCart:
        """Check, lock the price, reserve stock, record and sign the cart (``CartConfirmation``)."""
        return self._carts.confirm_cart(request)

    def order(self, out_trade_no: str) -> Order:
        """The order as it stands (``OrderLifecycle``)."""
        return self._orders.order(out_trade_no)

    def mark_paid(
        self,
        out_trade_no: str,
        trade_no: str,
        amount: Money,
        paid_at: datetime,
        *,
        cart_digest: str | None = None,
        merchant_id: str | None = None,
    ) -> Order:
        """Record the PSP's payment notice (``OrderLifecycle.mark_paid`` gives the rules)."""
        return self._orders.mark_paid(
            out_trade_no,
            trade_no,
            amount,
            paid_at,
            cart_digest=cart_digest,
            merchant_id=merchant_id,
        )

    def fulfil(self, out_trade_no: str) -> Order:
        """Mark a paid order fulfilled and report it (``OrderLifecycle``)."""
        return self._orders.fulfil(out_trade_no)

    def cancel(self, out_trade_no: str) -> Order:
        """Cancel an unpaid order and put its stock back (``OrderLifecycle``)."""
        return self._orders.cancel(out_trade_no)

    def expire_due(self) -> list[str]:
        """Expire every unpaid order whose price lock has run out (``OrderLifecycle``)."""
        return self._orders.expire_due()
