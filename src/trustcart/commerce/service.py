"""``MerchantService``: the marketplace's merchants, speaking ACT CID to agents.

It hosts several merchants, each with its own signing key, over one database. Each public
method is one unit of work (``Database.transaction``): confirming a cart checks, prices, locks
the price, reserves stock, writes the order and signs the cart in one transaction, so a refusal
leaves nothing behind. Rules live in the pure modules (``cart``, ``coupons``, ``orders``,
``payment_capability``, ``intent_context``); this layer loads, calls them and stores.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from trustcart.commerce.cart import CartLine, PricedCart, cart_payload, precheck_cart, price_cart
from trustcart.commerce.catalog import Coupon, Merchant
from trustcart.commerce.catalog_search import CatalogSearch, SearchHit
from trustcart.commerce.errors import (
    CartExpired,
    CommerceError,
    CommerceProblem,
    LockFailed,
    MethodNotSupported,
    NoMatch,
    NotFound,
    PaymentMismatch,
    PrecheckFailed,
    StockError,
)
from trustcart.commerce.intent_context import (
    IntentCriteria,
    criteria_from_context,
    merge_context,
    parse_intent_context_request,
)
from trustcart.commerce.order_book import (
    Order,
    apply_event,
    lock_order,
    order_from_row,
    reserve_stock,
)
from trustcart.commerce.orders import OrderEvent, OrderStatus
from trustcart.commerce.payment_capability import (
    PaymentOption,
    capability_document,
    negotiate,
    negotiation_response,
)
from trustcart.commerce.repository import (
    load_coupons,
    load_merchant,
    load_merchants,
    product_from_row,
)
from trustcart.commerce.requests import parse_confirm_cart, parse_negotiation
from trustcart.core.clock import Clock, format_instant
from trustcart.core.errors import ValidationError
from trustcart.core.ids import RandomBytes, new_id
from trustcart.core.money import Money
from trustcart.core.typs import CART_TYP
from trustcart.crypto.jcs import jcs_digest
from trustcart.crypto.jws import sign_compact
from trustcart.crypto.keys import PublicKey, SigningKey, jwks
from trustcart.store.commerce import IntentRequestRow, OrderItemRow, OrderRow, ProductRow
from trustcart.store.db import Database
from trustcart.trust.events import Chain, EventType, Participant
from trustcart.trust.recorder import EventRecorder

PRICE_LOCK = timedelta(minutes=15)
# A PSP clock slightly ahead of ours is tolerated; a notice dated further ahead is refused.
PAYMENT_CLOCK_SKEW = timedelta(seconds=60)
DEFAULT_METHOD = "trustcart-balance"


@dataclass(frozen=True, slots=True)
class ConfirmedCart:
    out_trade_no: str
    cart_jws: str
    cart_digest: str
    payload: dict[str, Any]
    price_locked_until: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "out_trade_no": self.out_trade_no,
            "status": str(OrderStatus.CONFIRMED),
            "cart": self.cart_jws,
            "cart_digest": self.cart_digest,
            "price_locked_until": format_instant(self.price_locked_until),
        }


def default_method_schema_url(psp_endpoint: str, method_id: str) -> str:
    """Where the PSP describes a method: ``<origin>/.well-known/payment-methods/<id>.json``."""
    parts = urlsplit(psp_endpoint)
    return f"{parts.scheme}://{parts.netloc}/.well-known/payment-methods/{method_id}.json"


class MerchantService:
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
        events: EventRecorder | None = None,
    ) -> None:
        """``payment_methods`` maps method_id -> method_schema_url (default: trustcart-balance).

        ``events`` receives act:commerce:cart-confirmed and fulfillment-completed, each signed
        by the merchant's own key.
        """
        self._events = events
        self._db = db
        self._keys = dict(keys)
        self._clock = clock
        self._random = random
        self._search = search
        self._max_coupons = max_coupons
        self._price_lock = price_lock
        self.psp_id = psp_id
        methods = payment_methods or {
            DEFAULT_METHOD: default_method_schema_url(psp_endpoint, DEFAULT_METHOD)
        }
        self._options = tuple(
            PaymentOption(method_id, psp_id, psp_endpoint, schema_url)
            for method_id, schema_url in methods.items()
        )

    # -- keys and merchants -------------------------------------------------------------------

    def merchant_public_keys(self) -> dict[str, PublicKey]:
        """merchant_id -> public key (for the trust directory and cart verifiers)."""
        return {merchant_id: key.public for merchant_id, key in sorted(self._keys.items())}

    def merchant_jwks(self) -> dict[str, Any]:
        return jwks(self.merchant_public_keys().values())

    def add_merchant_key(self, merchant_id: str, key: SigningKey) -> None:
        """Sign carts for a merchant onboarded while running (its JWKS is published at once)."""
        self._keys[merchant_id] = key

    def merchants(self) -> list[dict[str, Any]]:
        with self._db.transaction() as session:
            merchants = load_merchants(session)
        return [self._merchant_json(m) for m in merchants]

    def _merchant_json(self, merchant: Merchant) -> dict[str, Any]:
        key = self._keys.get(merchant.merchant_id)
        return {**merchant.to_json(), "kid": key.kid if key else None}

    def _merchant(self, session: Session, merchant_id: str) -> Merchant:
        merchant = load_merchant(session, merchant_id)
        if merchant is None:
            raise NotFound(CommerceProblem.UNKNOWN_MERCHANT, f"no merchant {merchant_id}")
        return merchant

    # -- CID-MER-CAT ----------------------------------------------------------------------------

    def catalog_item(self, product_id: str) -> dict[str, Any]:
        with self._db.transaction() as session:
            row = session.get(ProductRow, product_id)
            if row is None:
                raise NotFound(CommerceProblem.UNKNOWN_PRODUCT, f"no product {product_id}")
            product = product_from_row(row)
            merchant = self._merchant(session, product.merchant_id)
        return {
            **product.to_json(),
            "merchant": {
                "merchant_id": merchant.merchant_id,
                "name": merchant.name,
                "url": f"/merchants/{merchant.merchant_id}",
            },
        }

    # -- CID-INT-XFR ----------------------------------------------------------------------------

    def query_intent_context(
        self, request: Mapping[str, Any], *, agent_id: str | None = None
    ) -> dict[str, Any]:
        """Candidates with offers (best coupons applied) for an intent context, or ``no-match``.

        ``agent_id`` is the authenticated caller; updates may only extend its own requests.
        """
        parsed = parse_intent_context_request(request)
        caller = agent_id or parsed.agent_id or "anonymous"
        now = self._clock.now()
        with self._db.transaction() as session:
            if session.get(IntentRequestRow, parsed.request_id) is not None:
                raise CommerceError(
                    CommerceProblem.REQUEST_ID_REUSED,
                    "each request, updates included, needs a new request_id",
                )
            context = parsed.context
            if parsed.previous_request_id is not None:
                previous = session.get(IntentRequestRow, parsed.previous_request_id)
                if previous is None or previous.agent_id != caller:
                    raise NotFound(
                        CommerceProblem.UNKNOWN_REQUEST, f"no request {parsed.previous_request_id}"
                    )
                context = merge_context(previous.context, parsed.context)
            criteria = criteria_from_context(context)  # validate before storing
            session.add(
                IntentRequestRow(
                    request_id=parsed.request_id,
                    agent_id=caller,
                    previous_request_id=parsed.previous_request_id,
                    context=context,
                    created_at=format_instant(now),
                )
            )
        candidates = self._candidates(criteria, now)
        if not candidates:
            raise NoMatch()
        return {
            "request_id": parsed.request_id,
            "previous_request_id": parsed.previous_request_id,
            "intent_id": parsed.intent_id,
            "context": context,
            "candidates": candidates[: parsed.limit],
            "generated_at": format_instant(now),
        }

    def _candidates(self, criteria: IntentCriteria, now: datetime) -> list[dict[str, Any]]:
        hits = self._search.search(criteria.search)
        coupons: dict[str, list[Coupon]] = {}
        offers: list[tuple[float, PricedCart, SearchHit]] = []
        for hit in hits:
            product = hit.product
            if not product.in_stock(criteria.quantity):
                continue
            attributes = {k.lower(): v.lower() for k, v in product.attributes.items()}
            if any(attributes.get(k) != v for k, v in criteria.attributes.items()):
                continue
            if hit.merchant.merchant_id not in coupons:
                with self._db.transaction() as session:
                    coupons[hit.merchant.merchant_id] = load_coupons(
                        session, hit.merchant.merchant_id
                    )
            priced = price_cart(
                hit.merchant,
                [CartLine(product, criteria.quantity)],
                coupons[hit.merchant.merchant_id],
                now=now,
                max_coupons=self._max_coupons,
            )
            try:
                precheck_cart(priced, criteria.limits)
            except PrecheckFailed:
                continue
            offers.append((hit.score, priced, hit))
        offers.sort(key=lambda o: (-o[0], o[1].total.minor, o[2].product.product_id))
        return [
            {
                "product": hit.product.to_json(),
                "merchant": {
                    "merchant_id": hit.merchant.merchant_id,
                    "name": hit.merchant.name,
                    "location": hit.merchant.location.to_json(),
                },
                "distance_km": None if hit.distance_km is None else f"{hit.distance_km:.3f}",
                "score": round(score, 4),
                "offer": priced.offer_json(),
            }
            for score, priced, hit in offers
        ]

    # -- CID-PCA-NEG ----------------------------------------------------------------------------

    def payment_capability(self, merchant_id: str) -> dict[str, Any]:
        with self._db.transaction() as session:
            self._merchant(session, merchant_id)
        return capability_document(merchant_id, self._options)

    def negotiate_payment(self, merchant_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        parsed = parse_negotiation(request)
        with self._db.transaction() as session:
            merchant = self._merchant(session, merchant_id)
        common = negotiate(self._options, parsed, merchant_currency=merchant.currency)
        return negotiation_response(merchant_id, parsed, common)

    # -- CID-CART-CFM ---------------------------------------------------------------------------

    def confirm_cart(self, request: Mapping[str, Any]) -> ConfirmedCart:
        """Pre-check, lock the price, reserve stock, record the order and sign the cart."""
        parsed = parse_confirm_cart(request)
        option = next((o for o in self._options if o.method_id == parsed.payment_method), None)
        if option is None:
            raise MethodNotSupported(
                CommerceProblem.METHOD_NOT_SUPPORTED,
                f"payment method {parsed.payment_method} is not accepted",
            )
        key = self._keys.get(parsed.merchant_id)
        now = self._clock.now().replace(microsecond=0)
        locked_until = now + self._price_lock
        try:
            with self._db.transaction() as session:
                merchant = self._merchant(session, parsed.merchant_id)
                if key is None:
                    raise CommerceError(
                        CommerceProblem.MERCHANT_UNAVAILABLE,
                        "merchant cannot sign carts",
                        status=503,
                    )
                ids = [item.product_id for item in parsed.items]
                rows = {
                    row.product_id: row
                    for row in session.scalars(
                        select(ProductRow).where(ProductRow.product_id.in_(ids)).with_for_update()
                    )
                }
                lines = []
                for item in parsed.items:
                    row = rows.get(item.product_id)
                    if row is None or row.merchant_id != merchant.merchant_id:
                        raise NotFound(
                            CommerceProblem.UNKNOWN_PRODUCT,
                            f"{merchant.merchant_id} sells no {item.product_id}",
                        )
                    product = product_from_row(row)
                    if not product.in_stock(item.quantity):
                        raise StockError(
                            CommerceProblem.OUT_OF_STOCK,
                            f"{item.product_id}: {product.stock} left",
                            product_id=item.product_id,
                        )
                    lines.append(CartLine(product, item.quantity, item.expected_unit_price))
                priced = price_cart(
                    merchant,
                    lines,
                    load_coupons(session, merchant.merchant_id),
                    now=now,
                    coupon_ids=parsed.coupon_ids,
                    max_coupons=self._max_coupons,
                )
                precheck_cart(priced, parsed.constraints)
                for line in lines:
                    if not reserve_stock(session, line.product.product_id, line.quantity):
                        raise StockError(
                            CommerceProblem.OUT_OF_STOCK,
                            f"{line.product.product_id} sold out",
                            product_id=line.product.product_id,
                        )
                out_trade_no = new_id("ord", self._random)
                payload = cart_payload(
                    priced,
                    out_trade_no=out_trade_no,
                    intent_id=parsed.intent_id,
                    delegation_id=parsed.delegation_id,
                    agent_id=parsed.agent_id,
                    payment=option.cart_payment(),
                    confirmed_at=now,
                    price_locked_until=locked_until,
                )
                token = sign_compact(payload, key, typ=CART_TYP)
                digest = jcs_digest(payload)
                self._record_order(
                    session, priced, payload, token=token, digest=digest, option=option, now=now
                )
        except OperationalError as e:  # lock timeout, deadlock, serialization failure
            raise LockFailed() from e
        self._record(
            EventType.CART_CONFIRMED,
            parsed.merchant_id,
            Chain(
                intent_id=parsed.intent_id,
                delegation_id=parsed.delegation_id,
                out_trade_no=out_trade_no,
            ),
            {"cart_digest": digest, "total": payload["total"], "items": len(payload["items"])},
        )
        return ConfirmedCart(out_trade_no, token, digest, payload, locked_until)

    def _record(
        self, kind: EventType, merchant_id: str, chain: Chain, body: dict[str, Any]
    ) -> None:
        key = self._keys.get(merchant_id)
        if self._events is None or key is None:
            return
        self._events(kind, chain, [Participant("merchant", merchant_id, key.kid)], body, key)

    @staticmethod
    def _record_order(
        session: Session,
        priced: PricedCart,
        payload: dict[str, Any],
        *,
        token: str,
        digest: str,
        option: PaymentOption,
        now: datetime,
    ) -> None:
        out_trade_no = payload["out_trade_no"]
        session.add(
            OrderRow(
                out_trade_no=out_trade_no,
                merchant_id=priced.merchant.merchant_id,
                agent_id=payload["agent_id"],
                intent_id=payload["intent_id"],
                delegation_id=payload["delegation_id"],
                status=str(OrderStatus.CONFIRMED),
                currency=priced.total.currency,
                subtotal_minor=priced.subtotal.minor,
                discount_minor=priced.coupons.discount.minor,
                shipping_minor=priced.shipping.minor,
                total_minor=priced.total.minor,
                payment_method_id=option.method_id,
                cart_jws=token,
                cart_digest=digest,
                confirmed_at=payload["confirmed_at"],
                price_locked_until=payload["price_locked_until"],
                trade_no=None,
                paid_at=None,
                updated_at=format_instant(now),
            )
        )
        session.flush()  # the order row must exist before its items reference it
        session.add_all(
            [
                OrderItemRow(
                    out_trade_no=out_trade_no,
                    line_no=n,
                    product_id=line.product.product_id,
                    quantity=line.quantity,
                    unit_price_minor=line.product.price.minor,
                    currency=line.product.price.currency,
                )
                for n, line in enumerate(priced.lines)
            ]
        )

    # -- orders -----------------------------------------------------------------------------------

    def order(self, out_trade_no: str) -> Order:
        with self._db.transaction() as session:
            row = session.get(OrderRow, out_trade_no)
            if row is None:
                raise NotFound(CommerceProblem.UNKNOWN_ORDER, f"no order {out_trade_no}")
            return order_from_row(session, row)

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
        """Record the PSP's payment notice: the amount must be the locked total, paid in time.

        ``cart_digest`` and ``merchant_id`` (from the PSP's signed receipt), when given, must be
        this order's. A repeated notice for the same trade is answered with the order unchanged.
        """
        if paid_at.tzinfo is None:
            raise ValidationError("paid_at must be timezone-aware")
        now = self._clock.now()
        with self._db.transaction() as session:
            row = lock_order(session, out_trade_no)
            if merchant_id is not None and merchant_id != row.merchant_id:
                raise NotFound(CommerceProblem.UNKNOWN_ORDER, f"no order {out_trade_no}")
            if cart_digest is not None and cart_digest != row.cart_digest:
                raise PaymentMismatch(
                    CommerceProblem.CART_MISMATCH, "the payment was for another cart"
                )
            total = Money(row.total_minor, row.currency)
            already_paid = row.status in (OrderStatus.PAID, OrderStatus.FULFILLED)
            if already_paid and row.trade_no == trade_no and amount == total:
                return order_from_row(session, row)  # the PSP repeated its notice
            if amount != total:
                raise PaymentMismatch(
                    CommerceProblem.AMOUNT_MISMATCH, f"paid {amount}, the locked total is {total}"
                )
            if paid_at > now + PAYMENT_CLOCK_SKEW:
                raise ValidationError("the payment notice is dated in the future")
            if format_instant(paid_at) > row.price_locked_until:
                raise CartExpired()
            apply_event(session, row, OrderEvent.PAY, now)
            row.trade_no = trade_no
            row.paid_at = format_instant(paid_at)
            return order_from_row(session, row)

    def fulfil(self, out_trade_no: str) -> Order:
        """Mark a paid order fulfilled (the goods were handed over) and report it."""
        order = self._change(out_trade_no, OrderEvent.FULFIL)
        with self._db.transaction() as session:
            row = lock_order(session, out_trade_no)
            chain = Chain(
                intent_id=row.intent_id,
                delegation_id=row.delegation_id,
                out_trade_no=out_trade_no,
                trade_no=row.trade_no,
            )
        self._record(EventType.FULFILLMENT_COMPLETED, order.merchant_id, chain, {"fulfilled": True})
        return order

    def cancel(self, out_trade_no: str) -> Order:
        """Cancel an unpaid order and put its stock back."""
        return self._change(out_trade_no, OrderEvent.CANCEL)

    def _change(self, out_trade_no: str, event: OrderEvent) -> Order:
        with self._db.transaction() as session:
            row = lock_order(session, out_trade_no)
            apply_event(session, row, event, self._clock.now())
            return order_from_row(session, row)

    def expire_due(self) -> list[str]:
        """Expire every unpaid order whose price lock has run out; release its stock."""
        now = self._clock.now()
        with self._db.transaction() as session:
            rows = session.scalars(
                select(OrderRow)
                .where(
                    OrderRow.status == str(OrderStatus.CONFIRMED),
                    OrderRow.price_locked_until <= format_instant(now),
                )
                .order_by(OrderRow.out_trade_no)
                .with_for_update()
            ).all()
            for row in rows:
                apply_event(session, row, OrderEvent.EXPIRE, now)
            return [row.out_trade_no for row in rows]
