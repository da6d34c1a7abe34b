"""The UCP business: checkout sessions, orders and the catalog over the shared machinery.

One marketplace host serves every merchant: a checkout belongs to the merchant of its items
(items of two merchants: ``multiple_merchants``). Sessions are the shared checkout state
machine's (``CheckoutService``, protocol ``ucp``), scoped to the platform named by ``UCP-Agent``.

Idempotency (UCP): every create, update, complete and cancel carries ``Idempotency-Key``; the
key is scoped to the platform and the operation. The same key with the same body replays the
stored answer (status and body); with another body it is ``idempotency_conflict`` (409); while
the first is still running, ``request_in_flight`` (409). A refusal (4xx) is stored like a
success, a 5xx is not (a retry is then a fresh request). Nothing is written before the claim.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trustcart.commerce.catalog_search import CatalogSearch
from trustcart.commerce.checkout_idempotency import Decision, claim, finish, release
from trustcart.commerce.checkout_service import (
    CheckoutChanges,
    CheckoutDraft,
    CheckoutService,
    CheckoutView,
)
from trustcart.commerce.checkout_store import load_products
from trustcart.commerce.errors import CommerceError
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.ucp import VERSION
from trustcart.commerce.ucp.ap2 import MandateGate, presented_mandate
from trustcart.commerce.ucp.errors import UcpCode, UcpError, from_commerce
from trustcart.commerce.ucp.profile import response_meta
from trustcart.commerce.ucp.render import render_checkout, render_order, render_product
from trustcart.commerce.ucp.requests import (
    CheckoutInput,
    check_negotiation,
    checkout_input,
    complete_iac,
)
from trustcart.commerce.ucp.requests import payment_token as read_payment_token
from trustcart.core.errors import ValidationError
from trustcart.crypto.jws import peek_payload
from trustcart.search.query import SearchQuery

PROTOCOL = "ucp"
CATALOG = ("dev.ucp.shopping.catalog.search", "dev.ucp.shopping.catalog.lookup")
MAX_LOOKUP = 50


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def fingerprint(body: Any) -> str:
    """The idempotency fingerprint of a request body (canonical JSON, SHA-256).

    >>> fingerprint({"b": 1, "a": 2}) == fingerprint({"a": 2, "b": 1})
    True
    """
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


class UcpBusiness:
    def __init__(
        self,
        market: Marketplace,
        checkout: CheckoutService,
        search: CatalogSearch,
        base_url: str,
        *,
        mandates: MandateGate,
    ) -> None:
        self._market = market
        self._checkout = checkout
        self._search = search
        self.base_url = base_url
        self.mandates = mandates  # the AP2 mandate extension (commerce.ucp.ap2)

    # -- idempotency -------------------------------------------------------------------------

    def idempotent(
        self, platform: str, operation: str, key: str | None, body: Any, run: Callable[[], Answer]
    ) -> Answer:
        """Run ``run`` once per (platform, operation, key); see module doc."""
        if not key or len(key) > 255:
            raise UcpError(
                UcpCode.MISSING_HEADER, "send an Idempotency-Key header", path="Idempotency-Key"
            )
        scope = f"{PROTOCOL}:{platform}:{operation}"
        now = self._market.clock.now()
        with self._market.db.transaction() as db:
            decided = claim(db, scope, key, fingerprint(body), now)
        if decided.decision is Decision.REPLAY:
            return Answer(int(decided.status or 200), dict(decided.body))
        if decided.decision is Decision.CONFLICT:
            raise UcpError(
                UcpCode.IDEMPOTENCY_CONFLICT,
                "this Idempotency-Key was used with another request body",
                status=409,
                path="Idempotency-Key",
            )
        if decided.decision is Decision.IN_FLIGHT:
            raise UcpError(
                UcpCode.REQUEST_IN_FLIGHT, "a request with this key is in progress", status=409
            )
        try:
            answer = run()
        except UcpError as e:
            answer = Answer(e.status, e.body(VERSION))
        except CommerceError as e:
            error = from_commerce(e)
            answer = Answer(error.status, error.body(VERSION))
        except BaseException:
            with self._market.db.transaction() as db:
                release(db, scope, key)
            raise
        with self._market.db.transaction() as db:
            finish(db, scope, key, answer.status, answer.body)
        return answer

    # -- checkout ----------------------------------------------------------------------------

    def _render(self, view: CheckoutView, status: int = 200) -> Answer:
        return Answer(status, render_checkout(view, self.base_url))

    def render(self, view: CheckoutView, status: int = 200) -> Answer:
        """The UCP checkout answer of ``view`` (for ``commerce.ucp.carts``)."""
        return self._render(view, status)

    def merchant_of(self, wanted: CheckoutInput) -> tuple[str, str]:
        """(merchant id, currency) of the items asked for; see ``_merchant_of``."""
        return self._merchant_of(wanted)

    def _merchant_of(self, wanted: CheckoutInput) -> tuple[str, str]:
        with self._market.db.read() as db:
            products = load_products(db, [item.product_id for item in wanted.items])
            merchants = set()
            for index, item in enumerate(wanted.items):
                product = products.get(item.product_id)
                if product is None:
                    raise UcpError(
                        UcpCode.ITEM_UNAVAILABLE,
                        f"no item {item.product_id}",
                        path=f"$.line_items[{index}].item.id",
                    )
                merchants.add(product.merchant_id)
            if all(not products[i.product_id].in_stock(i.quantity) for i in wanted.items):
                raise UcpError(
                    UcpCode.OUT_OF_STOCK,
                    "none of the items is available in the quantity asked",
                    status=409,
                    path="$.line_items",
                    severity="requires_buyer_review",
                )
            if len(merchants) != 1:
                raise UcpError(
                    UcpCode.MULTIPLE_MERCHANTS,
                    "a checkout holds the items of one merchant; start one per merchant",
                    path="$.line_items",
                )
            merchant = self._market.merchant(db, merchants.pop())
        return merchant.merchant_id, merchant.currency

    def create(self, platform: str, body: dict[str, Any]) -> Answer:
        wanted = checkout_input(body)
        merchant_id, currency = self._merchant_of(wanted)
        view = self._checkout.create(
            CheckoutDraft(
                merchant_id=merchant_id,
                platform_id=platform,
                protocol=PROTOCOL,
                currency=currency,
                items=wanted.items,
                buyer=wanted.buyer,
                contact=wanted.contact,
                codes=wanted.codes,
                iac=wanted.iac,
            )
        )
        if wanted.selected_option_id is not None:
            view = self._checkout.update(
                view.session.session_id,
                CheckoutChanges(selected_option_id=wanted.selected_option_id),
                platform_id=platform,
            )
        return self._render(view, 201)

    def update(self, platform: str, session_id: str, body: dict[str, Any]) -> Answer:
        wanted = checkout_input(body)
        current = self.get(platform, session_id)
        if wanted.items and self._merchant_of(wanted)[0] != current.session.merchant_id:
            raise UcpError(
                UcpCode.MULTIPLE_MERCHANTS,
                "the items belong to another merchant than this checkout's",
                path="$.line_items",
            )
        view = self._checkout.update(
            session_id,
            CheckoutChanges(
                items=wanted.items,
                buyer=wanted.buyer,
                contact=wanted.contact,
                selected_option_id=wanted.selected_option_id,
                codes=wanted.codes,
                iac=wanted.iac,
            ),
            platform_id=platform,
        )
        return self._render(view)

    def get(self, platform: str, session_id: str) -> CheckoutView:
        view = self._checkout.get(session_id, platform_id=platform)
        if view.session.protocol != PROTOCOL:  # a cart or an ACP session is not a UCP checkout
            raise UcpError(UcpCode.NOT_FOUND, f"no checkout session {session_id}", status=404)
        return view

    def complete(
        self, platform: str, session_id: str, body: dict[str, Any], *, ap2: bool = False
    ) -> Answer:
        """Pay the session; with ``ap2`` (the extension negotiated) only under a checkout
        mandate for it exactly as it is (``commerce.ucp.ap2``), checked before anything pays."""
        # UCP ap2-mandates, "Business Verification": with AP2 negotiated the mandate comes
        # first (a complete without one is mandate_required whatever else it lacks), and
        # before anything is written: a refused mandate leaves the session as it was.
        mandate = presented_mandate(body)
        iac = complete_iac(body)
        current = self.get(platform, session_id)
        if ap2:
            rendered = render_checkout(current, self.base_url)
            self.mandates.check(mandate, rendered, iac or current.session.iac)
        token = read_payment_token(body)
        if iac is not None:
            self._checkout.update(session_id, CheckoutChanges(iac=iac), platform_id=platform)
            current = self.get(platform, session_id)
        agent_id = None
        if current.session.iac is not None:
            # No platform authentication yet: the credential's own agent is the caller.
            agent_id = str(peek_payload(current.session.iac).get("agent_id"))
        view = self._checkout.complete(
            session_id, platform_id=platform, payment_token=token, agent_id=agent_id
        )
        return self._render(view)

    def cancel(self, platform: str, session_id: str) -> Answer:
        self.get(platform, session_id)
        return self._render(self._checkout.cancel(session_id, platform_id=platform))

    def order(self, platform: str, order_id: str) -> Answer:
        view = self._checkout.order_view(order_id, platform_id=platform)
        if view.order is None:
            raise UcpError(UcpCode.NOT_FOUND, f"no order {order_id}", status=404)
        return Answer(200, render_order(view, view.order, self.base_url))

    # -- catalog -----------------------------------------------------------------------------

    def search(self, body: dict[str, Any]) -> Answer:
        check_negotiation(body)
        if not body.get("query") and not body.get("filters"):
            raise UcpError(UcpCode.INVALID_REQUEST, "send a query or filters", path="$.query")
        text = body.get("query", "")
        pagination = body.get("pagination") or {}
        limit = pagination.get("limit", 10) if isinstance(pagination, dict) else None
        if not isinstance(text, str) or not isinstance(limit, int) or isinstance(limit, bool):
            raise UcpError(UcpCode.INVALID_REQUEST, "query must be a string", path="$.query")
        try:
            query = SearchQuery(text=text, limit=min(max(limit, 1), 50))
        except ValidationError as e:
            raise UcpError(UcpCode.INVALID_REQUEST, str(e), path="$.query") from e
        # semantic neighbours the index judges no match are not results (UCP: no match, [])
        hits = [h for h in self._search.search(query) if h.good_match is not False]
        return Answer(
            200,
            {
                "ucp": response_meta(CATALOG),
                "products": [render_product(h.product, h.merchant) for h in hits],
                "pagination": {"has_next_page": False, "total_count": len(hits)},
            },
        )

    def _products(self, ids: list[str]) -> list[dict[str, Any]]:
        with self._market.db.read() as db:
            found = load_products(db, ids)
            out = []
            for pid in dict.fromkeys(ids):
                product = found.get(pid)
                if product is not None:
                    merchant = self._market.merchant(db, product.merchant_id)
                    out.append(render_product(product, merchant))
        return out

    def lookup(self, body: dict[str, Any]) -> Answer:
        check_negotiation(body)
        ids = body.get("ids")
        if (
            not isinstance(ids, list)
            or not 1 <= len(ids) <= MAX_LOOKUP
            or not all(isinstance(i, str) and 0 < len(i) <= 96 for i in ids)
        ):
            raise UcpError(
                UcpCode.INVALID_REQUEST, f"ids must hold 1..{MAX_LOOKUP} ids", path="$.ids"
            )
        products = self._products(ids)
        for product in products:
            product["variants"][0]["inputs"] = [{"id": product["id"], "match": "exact"}]
        found = {p["id"] for p in products}
        messages = [
            {"type": "info", "code": "not_found", "content": f"no product {pid}", "path": "$.ids"}
            for pid in ids
            if pid not in found
        ]
        return Answer(
            200, {"ucp": response_meta(CATALOG), "products": products, "messages": messages}
        )

    def product(self, body: dict[str, Any]) -> Answer:
        check_negotiation(body)
        pid = body.get("id")
        if not isinstance(pid, str) or not 0 < len(pid) <= 96:
            raise UcpError(UcpCode.INVALID_REQUEST, "id must be a product id", path="$.id")
        products = self._products([pid])
        if not products:  # UCP catalog: an application outcome, HTTP 200 with ucp.status error
            raise UcpError(UcpCode.NOT_FOUND, f"no product {pid}", status=200, path="$.id")
        return Answer(200, {"ucp": response_meta(CATALOG), "product": products[0]})
