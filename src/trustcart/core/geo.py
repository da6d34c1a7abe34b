"""Positions on the Earth: a WGS 84 point and the great-circle distance between two.

Coordinates are ``Decimal`` (parsed from strings, never floats, so a position reads back exactly);
distances are floats in kilometres, which is fine: a distance never becomes money.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from trustcart.core.errors import ValidationError

EARTH_RADIUS_KM = 6371.0088


def parse_decimal(text: Any, what: str) -> Decimal:
    """A decimal given as a string (never a float, which would carry binary noise)."""
    if not isinstance(text, str | Decimal) or isinstance(text, bool):
        raise ValidationError(f"{what} must be a decimal string")
    try:
        value = Decimal(text)
    except InvalidOperation as e:
        raise ValidationError(f"{what} {text!r} is not a decimal") from e
    if not value.is_finite():
        raise ValidationError(f"{what} must be finite")
    return value


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A WGS 84 position; ``GeoPoint.parse("30.2590", "120.1300")``."""

    lat: Decimal
    lon: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.lat, Decimal) or not isinstance(self.lon, Decimal):
            raise ValidationError("coordinates must be Decimal")
        if not (-90 <= self.lat <= 90) or not (-180 <= self.lon <= 180):
            raise ValidationError("coordinates out of range")

    @classmethod
    def parse(cls, lat: Any, lon: Any) -> GeoPoint:
        """``GeoPoint.parse("30.2590", "120.1300")``; strings or Decimals, never floats.

        >>> GeoPoint.parse("30.2590", "120.1300").to_json()
        {'lat': '30.2590', 'lon': '120.1300'}
        """
        return cls(parse_decimal(lat, "lat"), parse_decimal(lon, "lon"))

    def to_json(self) -> dict[str, str]:
        return {"lat": str(self.lat), "lon": str(self.lon)}

    def distance_km(self, other: GeoPoint) -> float:
        """Great-circle (haversine) distance; a float is fine here, it never becomes money."""
        lat1, lon1 = math.radians(float(self.lat)), math.radians(float(self.lon))
        lat2, lon2 = math.radians(float(other.lat)), math.radians(float(other.lon))
        a = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
