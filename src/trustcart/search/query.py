"""What a caller asks of the catalog search: the query text, exact filters and the mode.

Filters are exact, never hints: price at most ``max_price`` (in its currency), category within
``category_prefix``, merchant among ``merchant_ids``, in stock, and the buyer within both the
offer's delivery radius and ``radius_km`` of ``location``. ``SearchMode`` picks the signal:
lexical (BM25), semantic (embeddings) or hybrid (both, fused).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trustcart.core.errors import ValidationError
from trustcart.core.geo import GeoPoint
from trustcart.core.money import Money

MAX_LIMIT = 200


class SearchMode(StrEnum):
    LEXICAL = "lexical"
    SEMANTIC = "semantic"
    HYBRID = "hybrid"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    max_price: Money | None = None
    category_prefix: str | None = None
    merchant_ids: tuple[str, ...] = ()
    in_stock_only: bool = True
    location: GeoPoint | None = None
    radius_km: Decimal | None = None
    limit: int = 20

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or len(self.text) > 500:
            raise ValidationError("query text must be a string of at most 500 characters")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be within 1..{MAX_LIMIT}")
        if self.radius_km is not None and (self.location is None or self.radius_km <= 0):
            raise ValidationError("radius_km needs a location and must be positive")
