"""The marketplace's comparison routes: one product at every merchant, the catalog's words, and
the basket planner (several items split across merchants, ``commerce.basket_market``).

Both are RFC 9421-signed reads for agents (``role-not-allowed`` for any other role). Their
bodies are open objects (``closed=False``): the comparison's offers and the vocabulary's lists
grow with the catalog, and an agent reads what it knows (``commerce.compare``,
``commerce.vocabulary``).
"""

from __future__ import annotations

from trustcart.api.openapi.vocabulary import (
    INSTANT,
    MONEY,
    NON_EMPTY,
    JsonBody,
    Operation,
    Reply,
    Schema,
    obj,
)

_OBJECT: Schema = {"type": "object"}

OFFERS = Operation(
    "compareOffers",
    "The product at every merchant that sells it, best delivered total first",
    signed=True,
    replies=(
        Reply(
            200,
            "The offers, matched by GTIN or by brand, model, variant and title",
            obj(
                {
                    "product_id": NON_EMPTY,
                    "offers": {"type": "array", "items": _OBJECT},
                    "generated_at": INSTANT,
                },
                ("offers",),
                closed=False,
            ),
        ),
    ),
    problems={
        400: "invalid-request (lat and lon must both be decimal coordinates)",
        403: "role-not-allowed (not an agent)",
        404: "unknown-product",
    },
)

VOCABULARY = Operation(
    "getCatalogVocabulary",
    "The catalog's categories, item names (EN, 中文) and attribute values",
    signed=True,
    replies=(
        Reply(
            200,
            "The words an agent's intent parser reads this catalog with",
            obj(
                {"categories": {"type": "array"}, "generated_at": INSTANT},
                ("generated_at",),
                closed=False,
            ),
        ),
    ),
    problems={403: "role-not-allowed (not an agent)"},
)

BASKET_PLAN = Operation(
    "planBasket",
    "Split several wanted items across merchants at the lowest delivered total, each "
    "merchant's coupons on its combined cart and its shipping once (docs/baskets.md)",
    body=JsonBody(
        obj(
            {
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 30,
                    "items": obj(
                        {
                            "item_id": NON_EMPTY,
                            "product_id": NON_EMPTY,
                            "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
                        },
                        ("item_id", "product_id"),
                    ),
                }
            },
            ("items",),
        ),
        description="each wanted item as one product found for it; the marketplace finds "
        "the same product at its other merchants",
    ),
    signed=True,
    replies=(
        Reply(
            200,
            "One priced cart per merchant and their total",
            obj(
                {
                    "total": MONEY,
                    "exact": {"type": "boolean"},
                    "assignment": _OBJECT,
                    "carts": {"type": "array", "items": _OBJECT},
                },
                ("total", "exact", "carts"),
                closed=False,
            ),
        ),
    ),
    problems={
        400: "invalid-request",
        403: "role-not-allowed (not an agent)",
        404: "unknown-product",
        409: "out-of-stock",
    },
)
