"""How ``trustcart search`` and ``trustcart compare`` read to a person: a header, columns, and
when there is nothing to show, "no results" and why.

Pure text: every function takes the values and returns lines, so the output is tested without
a terminal. Columns are padded by display width (``rich.cells.cell_len``), so Chinese names
line up with Latin ones. ``--json`` does not come through here: its shape is the documented one.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

from trustcart.commerce.catalog import VARIANT_ATTRIBUTES, Merchant, Product
from trustcart.commerce.compare import Comparison, MatchBasis
from trustcart.search.engine import RankedHit, RankedResult
from trustcart.search.explain import EmptyCode, EmptyReason, Filter

TITLE_WIDTH = 46
_BASIS = {MatchBasis.SAME_OFFER: "(asked for)", MatchBasis.GTIN: "GTIN"}
MERCHANT_WIDTH = 26


def _cut(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…"


def _pad(text: str, width: int, *, right: bool = False) -> str:
    text = _cut(text, width)
    gap = " " * max(0, width - cell_len(text))
    return gap + text if right else text + gap


def _row(cells: Sequence[tuple[str, int, bool]]) -> str:
    return "  ".join(_pad(text, width, right=right) for text, width, right in cells).rstrip()


def duration(minutes: int) -> str:
    """'45 min', '31 h', '4.5 d': delivery times as a person reads them.

    >>> duration(45), duration(31 * 60), duration(108 * 60)
    ('45 min', '31 h', '4.5 d')
    """
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{round(minutes / 60)} h"
    return f"{minutes / 1440:.1f} d"


def _filter_words(name: Filter, reason: EmptyReason, count: int) -> str:
    what = {
        Filter.MAX_PRICE: "the price cap",
        Filter.CATEGORY: "the category",
        Filter.MERCHANTS: "the merchants asked for",
        Filter.IN_STOCK: "stock (sold out)",
        Filter.LOCATION: "the delivery area",
    }[name]
    text = f"{what} excludes {count}"
    if name is Filter.MAX_PRICE and reason.cheapest is not None:
        text += f" (the cheapest is {reason.cheapest})"
    return text


def why_nothing(text: str, reason: EmptyReason) -> str:
    """The reason for an empty answer, as one sentence."""
    if reason.code is EmptyCode.NO_WORDS:
        return "the query has no words to search for"
    if reason.code is EmptyCode.NOTHING:
        return f'nothing in the catalog matches "{text}"'
    if reason.code is EmptyCode.POOR_MATCH:
        nearest = f': the nearest offer, "{reason.nearest_title}", is something else'
        return f'no good match for "{text}"' + (nearest if reason.nearest_title else "")
    parts = [_filter_words(f, reason, n) for f, n in reason.excluded.items() if n]
    offers = "offer matches" if reason.matches == 1 else "offers match"
    count = f"at least {reason.matches}" if reason.at_least else str(reason.matches)
    return f'{count} {offers} "{text}", but the filters exclude them: ' + (
        "; ".join(parts) or "together"
    )


def search_lines(
    text: str,
    mode: str,
    result: RankedResult[tuple[Product, Merchant]],
    reason: EmptyReason | None,
) -> list[str]:
    """``trustcart search`` for a person: header, one row per good hit, facets."""
    corrected = f' (searched for "{result.corrected_text}")' if result.corrected_text else ""
    shown: list[RankedHit[tuple[Product, Merchant]]] = [
        h for h in result.hits if h.good_match is not False
    ]
    if reason is not None or not shown:
        why = why_nothing(text, reason) if reason is not None else "no good match"
        return [f'search "{text}" ({mode}){corrected}: no results', f"  {why}"]
    lines = [
        f'search "{text}" ({mode}){corrected}: {len(shown)} result{"s" * (len(shown) != 1)}',
        _row(
            [
                ("rank", 4, True),
                ("title", TITLE_WIDTH, False),
                ("merchant", MERCHANT_WIDTH, False),
                ("price", 12, True),
                ("km", 6, True),
                ("score", 6, True),
            ]
        ),
    ]
    for rank, hit in enumerate(shown, start=1):
        _, merchant = hit.item
        km = "-" if hit.distance_km is None else f"{hit.distance_km:.1f}"
        lines.append(
            _row(
                [
                    (str(rank), 4, True),
                    (hit.offer.title, TITLE_WIDTH, False),
                    (merchant.name, MERCHANT_WIDTH, False),
                    (str(hit.offer.price), 12, True),
                    (km, 6, True),
                    (f"{hit.score:.3f}", 6, True),
                ]
            )
        )
    if shown[0].score < 1.0:
        lines.append("  (no offer has every word of the query; these come closest)")
    weaker = len(result.hits) - len(shown)
    if weaker:
        lines.append(f"  {weaker} weaker match{'es' * (weaker != 1)} left out (--json lists them)")
    if result.facets.get("category"):
        lines.append(
            "categories: " + ", ".join(f"{c} ({n})" for c, n in result.facets["category"].items())
        )
    return lines


def compare_lines(comparison: Comparison) -> list[str]:
    """``trustcart compare`` for a person: the offers best delivered total first."""
    product = comparison.product
    offers = comparison.offers
    merchants = len({o.merchant.merchant_id for o in offers})
    gtin = f" (GTIN {product.gtin})" if product.gtin else ""
    lines = [
        f"{product.title}{gtin}: {len(offers)} offer{'s' * (len(offers) != 1)} from {merchants} "
        f"merchant{'s' * (merchants != 1)}, best delivered total first",
        _row(
            [
                ("rank", 4, True),
                ("merchant", MERCHANT_WIDTH, False),
                ("price", 12, True),
                ("shipping", 9, True),
                ("coupons", 9, True),
                ("total", 12, True),
                ("delivery", 8, True),
                ("today's price", 13, False),
                ("matched by", 17, False),
            ]
        ),
    ]
    for rank, offer in enumerate(offers, start=1):
        stock = "" if offer.product.in_stock() else " (sold out)"
        lines.append(
            _row(
                [
                    (str(rank), 4, True),
                    (offer.merchant.name + stock, MERCHANT_WIDTH, False),
                    (str(offer.product.price), 12, True),
                    (offer.merchant.delivery_fee.amount_str(), 9, True),
                    (f"-{offer.coupons.discount.amount_str()}", 9, True),
                    (str(offer.total), 12, True),
                    (duration(offer.product.delivery_minutes), 8, True),
                    (offer.price_verdict.verdict.value, 13, False),
                    (_BASIS.get(offer.matched_by, offer.matched_by.value), 17, False),
                ]
            )
        )
    if comparison.undeliverable:
        lines.append(f"  {comparison.undeliverable} more out of the delivery area")
    if comparison.variants:
        values = {
            name: sorted({v.attributes[name] for v in comparison.variants if name in v.attributes})
            for name in VARIANT_ATTRIBUTES
        }
        listed = "; ".join(f"{k}: {', '.join(v)}" for k, v in values.items() if v)
        shop = next(
            (o.merchant.name for o in offers if o.product.product_id == product.product_id),
            product.merchant_id,
        )
        lines.append(f"  other variants at {shop}: {listed}")
    return lines
