"""The ACP product feed (schema.feed.json 2026-04-17), both ways: export and import records.

Strategy: one mapping, written once in each direction, so that a feed trustcart exports is read
back by ``trustcart import`` to the very same products ("0 inserted, 0 updated"). The schema is
closed (``additionalProperties: false`` everywhere), so trustcart adds no field of its own; each
product field goes where ACP has a place for it:

| trustcart ``Product`` | ACP feed |
|---|---|
| ``group_id`` (else ``product_id``) | ``Product.id`` (the variants of one group share it) |
| ``product_id`` | ``Variant.id`` (read back verbatim when it is a trustcart id, else ``p_<id>``) |
| ``title`` | ``Variant.title`` |
| ``price`` | ``Variant.price`` (integer minor units + currency) |
| ``category`` | ``Variant.categories[0]`` (``taxonomy: "trustcart"``; others slugified) |
| ``attributes`` | ``Variant.variant_options`` (name and value verbatim, in order) |
| ``gtin`` | ``Variant.barcodes`` (``GTIN``; GTIN, EAN and UPC are read) |
| ``image_url`` | ``Variant.media`` (first image; the product's media after the variant's) |
| ``brand`` | ``Variant.seller.name`` (omitted when empty) |
| ``stock > 0`` | ``Variant.availability`` (``available`` and ``status``) |

What ACP cannot say (``title_zh``, the stock *count*, ``delivery_minutes``, ``price_valid_until``,
and ``brand`` when a variant has no seller) a feed is silent on. Following ACP's upsert, which
"partially upserts", an import keeps those fields of a product already stored (the stock count
while the feed says it is available) and gives a new product the defaults (stock 1 when
available, 0 when not; delivery in two days). The silent fields travel with each record under
``FEED_SILENT`` and ``keep_stored`` applies them. A full backup with every field is a CSV or
JSONL export, not a feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from trustcart.commerce.catalog import Product
from trustcart.commerce.catalog_text import ImportFormatError
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money

__all__ = [
    "FEED_SILENT",
    "TRUSTCART_TAXONOMY",
    "feed_from_products",
    "feed_records",
    "keep_stored",
]

TRUSTCART_TAXONOMY = "trustcart"
FEED_SILENT = "__feed_silent__"  # record key: the fields this variant's feed entry cannot say
_SLUG = re.compile(r"[^a-z0-9]+")
_TRUSTCART_ID = re.compile(r"^[a-z][a-z0-9]{0,15}_[A-Za-z0-9_-]{1,64}\Z")
_ALWAYS_SILENT = ("title_zh", "delivery_minutes", "price_valid_until")


# -- export ----------------------------------------------------------------------------------


def _variant(product: Product) -> dict[str, Any]:
    variant: dict[str, Any] = {"id": product.product_id, "title": product.title}
    if product.gtin is not None:
        variant["barcodes"] = [{"type": "GTIN", "value": product.gtin}]
    variant["price"] = {"amount": product.price.minor, "currency": product.price.currency}
    available = product.stock > 0
    variant["availability"] = {
        "available": available,
        "status": "in_stock" if available else "out_of_stock",
    }
    variant["categories"] = [{"value": product.category, "taxonomy": TRUSTCART_TAXONOMY}]
    if product.attributes:
        variant["variant_options"] = [
            {"name": name, "value": value} for name, value in product.attributes.items()
        ]
    if product.image_url is not None:
        variant["media"] = [{"type": "image", "url": product.image_url}]
    if product.brand:
        variant["seller"] = {"name": product.brand}
    return variant


def feed_from_products(products: Iterable[Product]) -> dict[str, Any]:
    """The ACP ``ProductsResponse`` (``{"products": [...]}``) of ``products``, grouped by group.

    Products are grouped by ``group_id`` in the order they come (an ungrouped product is an
    ACP product of one variant with its own id); every value is a plain JSON value.

    >>> tea = Product("p_tea", "m_shop", "Pearl Milk Tea", "珍珠奶茶", "", "drinks/milk-tea",
    ...               Money.parse("16.00", "CNY"), 3, 30)
    >>> feed = feed_from_products([tea])
    >>> feed["products"][0]["id"], feed["products"][0]["variants"][0]["price"]
    ('p_tea', {'amount': 1600, 'currency': 'CNY'})
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for product in products:
        groups.setdefault(product.group_id or product.product_id, []).append(_variant(product))
    return {"products": [{"id": gid, "variants": variants} for gid, variants in groups.items()]}


# -- import ----------------------------------------------------------------------------------


def _slug_category(value: str) -> str:
    parts = [_SLUG.sub("-", p.strip().lower()).strip("-") for p in re.split(r">|/", value)]
    return "/".join(p for p in parts if p) or "uncategorized"


def _product_id(variant_id: str) -> str:
    return variant_id if _TRUSTCART_ID.match(variant_id) else f"p_{variant_id}"


def _variant_record(product: Mapping[str, Any], variant: Mapping[str, Any]) -> dict[str, Any]:
    price = variant.get("price")
    if not isinstance(price, dict):
        raise ValidationError(f"variant {variant.get('id')!r} has no price")
    amount = price["amount"]
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError("price.amount must be an integer of minor units")
    money = Money(amount, price["currency"])
    variant_id = variant["id"]
    if not isinstance(variant_id, str):
        raise ValidationError("a variant id is text")
    gtins = [
        b["value"]
        for b in variant.get("barcodes", [])
        if str(b.get("type", "")).upper() in {"GTIN", "EAN", "UPC"}
    ]
    categories = variant.get("categories") or []
    category = "uncategorized"
    if categories:
        first = categories[0]
        trusted = first.get("taxonomy") == TRUSTCART_TAXONOMY
        category = first["value"] if trusted else _slug_category(first["value"])
    images = [
        m["url"]
        for m in [*variant.get("media", []), *product.get("media", [])]
        if m.get("type") == "image"
    ]
    available = (variant.get("availability") or {}).get("available", True)
    options = variant.get("variant_options", [])
    group = str(product["id"])
    product_id = _product_id(variant_id)
    silent = [*_ALWAYS_SILENT, *(("stock",) if available else ())]
    seller = variant.get("seller") or {}
    if "name" not in seller:
        silent.append("brand")
    attributes = {str(o["name"]): str(o["value"]) for o in options}
    grouped = group != product_id and _TRUSTCART_ID.match(group) is not None
    if not grouped and group != product_id:  # a foreign group id that is no trustcart id
        attributes.setdefault("item_group_id", group)
    return {
        "product_id": product_id,
        "title": variant["title"],
        "brand": seller.get("name", ""),
        "category": category,
        "price": money,  # Money itself: minor units never pass through a decimal string
        "stock": 1 if available else 0,
        "gtin": gtins[0] if gtins else None,
        "image_url": images[0] if images else None,
        "attributes": attributes,
        "group_id": group if grouped else None,
        FEED_SILENT: frozenset(silent),
    }


def feed_records(feed: Any) -> Iterator[tuple[int, Any]]:
    """(product ordinal, record or ``ValidationError``) for every variant of an ACP feed.

    A record has the flat import's field names plus ``group_id`` and ``FEED_SILENT``.

    >>> feed = {"products": [{"id": "prod_tee", "variants": [{"id": "sku-1", "title": "Tee",
    ...         "price": {"amount": 1999, "currency": "USD"}}]}]}
    >>> [(n, r["product_id"], str(r["price"]), r["group_id"]) for n, r in feed_records(feed)]
    [(1, 'p_sku-1', '19.99 USD', 'prod_tee')]
    """
    if not isinstance(feed, dict) or not isinstance(feed.get("products"), list):
        raise ImportFormatError("an ACP feed is an object with a products array")
    for number, product in enumerate(feed["products"], start=1):
        if not isinstance(product, dict) or not isinstance(product.get("variants"), list):
            yield number, ValidationError("an ACP product needs an id and variants")
            continue
        for variant in product["variants"]:
            try:
                yield number, _variant_record(product, variant)
            except (ValidationError, KeyError, TypeError, AttributeError) as e:
                yield number, ValidationError(f"variant: {e}")


def keep_stored(product: Product, stored: Product, silent: frozenset[str]) -> Product:
    """``product`` (read from a feed) with the fields its feed is silent on taken from ``stored``.

    The stock count is kept only while the feed says available and the stored product has
    stock; an out-of-stock product that the feed says is available gets 1.

    >>> old = Product("p_tea", "m_shop", "Tea", "奶茶", "", "drinks", Money(100, "CNY"), 40, 30)
    >>> new = replace(old, title_zh="", stock=1, delivery_minutes=2880)
    >>> kept = keep_stored(new, old, frozenset({"title_zh", "stock", "delivery_minutes"}))
    >>> kept.title_zh, kept.stock, kept.delivery_minutes
    ('奶茶', 40, 30)
    """
    changes: dict[str, Any] = {
        name: getattr(stored, name) for name in silent if name != "stock" and hasattr(stored, name)
    }
    if "stock" in silent and stored.stock > 0:
        changes["stock"] = stored.stock
    return replace(product, **changes)
