"""ACT CID-INT-XFR: the intent-context request, its delta updates, and what it asks for (pure).

A request carries a ``request_id``, the ``context`` and optional correlation ids
(``intent_id``, ``delegation_id``). An update names its predecessor in
``previous_request_id`` and carries only the delta: objects merge key by key, other values
replace, and ``null`` removes a key. The merged context is validated as a whole::

    {"query": "pearl milk tea", "category": "drinks/milk-tea", "quantity": 1,
     "attributes": {"size": "medium"},
     "constraints": {"max_unit_price": {"amount": "30.00", "currency": "CNY"},
                     "max_total_amount": {...}, "location": {"lat": "30.2590", "lon": "120.1300",
                     "radius_km": "3"}, "allowed_merchants": [], "forbidden_merchants": [],
                     "allowed_categories": [], "forbidden_categories": [],
                     "max_delivery_minutes": 45},
     "implicit": {...}, "background": {...}, "preferences": {...}}

``implicit``, ``background`` and ``preferences`` are accepted and kept but do not filter: ACT
lets them inform, never override, what the user stated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from trustcart.commerce.cart import MAX_QUANTITY, CartConstraints
from trustcart.commerce.requests import (
    bounded_int,
    identifier,
    only_keys,
    optional_money,
    parse_constraints,
    required_id,
)
from trustcart.core.categories import check_category
from trustcart.core.errors import ValidationError
from trustcart.core.geo import GeoPoint, parse_decimal
from trustcart.core.money import Money
from trustcart.search.query import MAX_LIMIT, SearchQuery

MAX_CANDIDATES = 50
_CONTEXT_KEYS = {
    "query",
    "category",
    "quantity",
    "attributes",
    "constraints",
    "implicit",
    "background",
    "preferences",
}


@dataclass(frozen=True, slots=True)
class IntentContextRequest:
    request_id: str
    previous_request_id: str | None
    intent_id: str | None
    delegation_id: str | None
    agent_id: str | None
    context: dict[str, Any]
    limit: int


def parse_intent_context_request(body: Mapping[str, Any]) -> IntentContextRequest:
    only_keys(
        body,
        {
            "request_id",
            "previous_request_id",
            "intent_id",
            "delegation_id",
            "agent_id",
            "context",
            "limit",
        },
        "intent context request",
    )
    context = body.get("context")
    if not isinstance(context, dict):
        raise ValidationError("context must be an object")
    limit = body.get("limit", 10)
    return IntentContextRequest(
        request_id=required_id(body, "request_id"),
        previous_request_id=identifier(body, "previous_request_id", required=False),
        intent_id=identifier(body, "intent_id", required=False),
        delegation_id=identifier(body, "delegation_id", required=False),
        agent_id=identifier(body, "agent_id", required=False),
        context=context,
        limit=bounded_int(limit, "limit", 1, MAX_CANDIDATES),
    )


def merge_context(previous: Mapping[str, Any], delta: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a delta: objects merge recursively, ``None`` deletes, anything else replaces.

    >>> merge_context({"query": "tea", "constraints": {"a": 1, "b": 2}},
    ...               {"constraints": {"b": None, "c": 3}})
    {'query': 'tea', 'constraints': {'a': 1, 'c': 3}}
    """
    merged = dict(previous)
    for key, value in delta.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_context(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True, slots=True)
class IntentCriteria:
    """What the merged context asks the catalog for."""

    search: SearchQuery
    quantity: int
    attributes: Mapping[str, str]
    limits: CartConstraints


def criteria_from_context(context: Mapping[str, Any]) -> IntentCriteria:
    """Validate a merged context and turn it into a search plus per-offer limits."""
    only_keys(context, _CONTEXT_KEYS, "context")
    query = context.get("query", "")
    if not isinstance(query, str) or len(query) > 500:
        raise ValidationError("context.query must be a string of at most 500 characters")
    category = context.get("category")
    if category is not None:
        check_category(category)
    if not query.strip() and category is None:
        raise ValidationError("context needs a query or a category")
    quantity = bounded_int(context.get("quantity", 1), "quantity", 1, MAX_QUANTITY)
    attributes = context.get("attributes") or {}
    if not isinstance(attributes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        raise ValidationError("context.attributes must map strings to strings")
    for optional_object in ("implicit", "background", "preferences"):
        if not isinstance(context.get(optional_object, {}), dict):
            raise ValidationError(f"context.{optional_object} must be an object")
    raw = context.get("constraints") or {}
    if not isinstance(raw, dict):
        raise ValidationError("context.constraints must be an object")
    rest = {k: v for k, v in raw.items() if k not in ("max_unit_price", "location")}
    limits = parse_constraints(rest)
    max_unit_price: Money | None = optional_money(raw, "max_unit_price")
    location, radius = _location(raw.get("location"))
    return IntentCriteria(
        search=SearchQuery(
            text=query,
            max_price=max_unit_price,
            category_prefix=category,
            merchant_ids=limits.allowed_merchants,
            in_stock_only=True,
            location=location,
            radius_km=radius,
            limit=MAX_LIMIT,
        ),
        quantity=quantity,
        attributes={k.lower(): v.lower() for k, v in attributes.items()},
        limits=limits,
    )


def _location(raw: Any) -> tuple[GeoPoint | None, Decimal | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise ValidationError("location must be an object")
    only_keys(raw, {"lat", "lon", "radius_km"}, "location")
    point = GeoPoint.parse(raw.get("lat"), raw.get("lon"))
    radius = raw.get("radius_km")
    if radius is None:
        return point, None
    value = parse_decimal(radius, "radius_km")
    if not Decimal(0) < value <= Decimal(20000):
        raise ValidationError("radius_km must be within (0, 20000]")
    return point, value
