"""The document the search indexes: one offer of one product, with its delivery zone.

The search package has a document type of its own, so it never imports the merchant domain:
``commerce.catalog_search`` maps products and merchants onto ``IndexedOffer``. The filter rules
that must not differ between back ends live here as pure functions: ``offer_passes`` is the
reference every back end agrees with (a back end may prune with its own filters, but every hit
it returns has passed these semantics), and ``reachable_zones`` finds the delivery zones that
reach the buyer (delivery areas are grouped into zones, origin + radius, so a geo query is a
few thousand haversines at most and then a plain term filter on the zone id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from trustcart.core.categories import category_within
from trustcart.core.errors import ValidationError
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money
from trustcart.search.analysis import analyze
from trustcart.search.query import SearchQuery


@dataclass(frozen=True, slots=True)
class DeliveryZone:
    origin: GeoPoint
    radius_km: Decimal

    def key(self) -> str:
        return f"{self.origin.lat},{self.origin.lon},{self.radius_km}"


@dataclass(frozen=True, slots=True)
class IndexedOffer:
    """One product offer as the search index sees it (``commerce`` builds it from a product)."""

    product_id: str
    merchant_id: str
    title: str
    text: str  # everything searchable: titles in both languages, brand, category, attributes
    category: str
    price: Money
    stock: int
    zone: DeliveryZone
    title_zh: str = ""  # the title in Chinese, when the catalog has one

    @property
    def index_terms(self) -> str:
        """BM25 terms; the title's terms are counted twice, so a title match outranks the
        same word in a brand or attribute ("Pearl House" must not beat "Pearl Milk Tea")."""
        return " ".join(analyze(self.title) + analyze(self.text))

    @property
    def embedding_text(self) -> str:
        return f"{self.title}. {self.category.replace('/', ' ').replace('-', ' ')}"


def reachable_zones(zones: Sequence[DeliveryZone], query: SearchQuery) -> dict[int, float]:
    """Zone index -> distance (km, 3 decimals) for the zones that deliver to the buyer."""
    if query.location is None:
        raise ValidationError("reachable_zones needs a query location")
    reachable: dict[int, float] = {}
    for index, zone in enumerate(zones):
        distance = query.location.distance_km(zone.origin)
        if distance > float(zone.radius_km):
            continue
        if query.radius_km is not None and distance > float(query.radius_km):
            continue
        reachable[index] = round(distance, 3)
    return reachable


def offer_passes(offer: IndexedOffer, query: SearchQuery) -> bool:
    """The filters, evaluated on one offer: the reference every back end must agree with."""
    if query.max_price is not None and (
        offer.price.currency != query.max_price.currency
        or offer.price.minor > query.max_price.minor
    ):
        return False
    if query.category_prefix and not category_within(offer.category, query.category_prefix):
        return False
    if query.merchant_ids and offer.merchant_id not in query.merchant_ids:
        return False
    if query.in_stock_only and offer.stock <= 0:
        return False
    if query.location is not None:
        return bool(reachable_zones([offer.zone], query))
    return True
