"""CID-INT-XFR: answering an agent's intent context with candidates and priced offers.

A request is stored before it is answered (so a ``request_id`` can never be reused, and an
update can only extend the caller's own earlier request, merged by ``intent_context``); the
context is validated into criteria before anything is stored. Candidates come from the catalog
search, then are kept only when in stock for the quantity, matching every asked attribute and
passing the pre-check against the context's limits; each is priced with the merchant's best
coupons. Offers are ordered by score, then total, then product id, so the answer is stable.
Each candidate carries the search engine's ``good_match`` (whether it is what the words asked
for), so an agent can say "not sold" rather than offer the nearest unrelated product. No
candidate at all is ``no-match``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trustcart.commerce.cart import CartLine, PricedCart, precheck_cart, price_cart
from trustcart.commerce.catalog import Coupon
from trustcart.commerce.catalog_search import CatalogSearch, SearchHit
from trustcart.commerce.errors import (
    CommerceError,
    CommerceProblem,
    NoMatch,
    NotFound,
    PrecheckFailed,
)
from trustcart.commerce.intent_context import (
    IntentCriteria,
    criteria_from_context,
    merge_context,
    parse_intent_context_request,
)
from trustcart.commerce.marketplace import Marketplace
from trustcart.commerce.repository import load_coupons
from trustcart.core.clock import format_instant
from trustcart.store.commerce import IntentRequestRow


class IntentContextQuery:
    """The XFR unit of work over the marketplace's store and its catalog search."""

    def __init__(self, market: Marketplace, search: CatalogSearch, *, max_coupons: int) -> None:
        self._market = market
        self._search = search
        self._max_coupons = max_coupons

    def query_intent_context(
        self, request: Mapping[str, Any], *, agent_id: str | None = None
    ) -> dict[str, Any]:
        """Candidates with offers (best coupons applied) for an intent context, or ``no-match``.

        ``agent_id`` is the authenticated caller; updates may only extend its own requests.
        """
        parsed = parse_intent_context_request(request)
        caller = agent_id or parsed.agent_id or "anonymous"
        now = self._market.clock.now()
        with self._market.db.transaction() as session:
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
                with self._market.db.transaction() as session:
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
        # Kept in the search engine's order (coverage of the query, then price), the order
        # `trustcart search` shows: the agent's planner ranks the priced offers itself.
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
                **({} if hit.good_match is None else {"good_match": hit.good_match}),
            }
            for score, priced, hit in offers
        ]
