"""Which delivery zones reach a buyer, for thousands of zones in well under a millisecond.

``documents.reachable_zones`` is the reference: one ``GeoPoint.distance_km`` (haversine on
Decimal coordinates) per zone, about 10 µs each, so 10,000 zones (a 10M-offer marketplace)
cost 100 ms a query. ``ZoneTable`` keeps the zones' coordinates as float arrays and computes
the same haversine for all of them with numpy, keeps the zones within their radius and the
asked radius plus a margin of ``MARGIN_KM`` (numpy and ``math`` may differ in the last bits),
and then decides each of those few with the reference, so the answer is exactly
``reachable_zones``'s: same zones, same rounded distances.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from trustcart.core.geo import EARTH_RADIUS_KM
from trustcart.search.documents import DeliveryZone, reachable_zones
from trustcart.search.query import SearchQuery

MARGIN_KM = 1e-6


class ZoneTable:
    """Float copies of the coordinates of a list of zones that only grows (the list is the
    caller's, shared: zones appended to it are picked up on the next query).

    >>> from decimal import Decimal
    >>> from trustcart.core.geo import GeoPoint
    >>> here = GeoPoint.parse("30.2590", "120.1300")
    >>> table = ZoneTable([DeliveryZone(here, Decimal(5)), DeliveryZone(here, Decimal("0.1"))])
    >>> table.reachable(SearchQuery("tea", location=GeoPoint.parse("30.2600", "120.1300")))
    {0: 0.111}
    """

    def __init__(self, zones: list[DeliveryZone]) -> None:
        self.zones = zones
        self._lat: npt.NDArray[np.float64] = np.zeros(0)
        self._lon: npt.NDArray[np.float64] = np.zeros(0)
        self._radius: npt.NDArray[np.float64] = np.zeros(0)
        self._arrays_size = 0

    def _arrays(self) -> None:
        if self._arrays_size == len(self.zones):
            return
        fresh = self.zones[self._arrays_size :]
        self._lat = np.concatenate((self._lat, [math.radians(float(z.origin.lat)) for z in fresh]))
        self._lon = np.concatenate((self._lon, [math.radians(float(z.origin.lon)) for z in fresh]))
        self._radius = np.concatenate((self._radius, [float(z.radius_km) for z in fresh]))
        self._arrays_size = len(self.zones)

    def reachable(self, query: SearchQuery) -> dict[int, float]:
        """``reachable_zones(self.zones, query)``, computed as the module docstring says."""
        if query.location is None:
            return reachable_zones(self.zones, query)  # raises the reference's error
        self._arrays()
        lat1, lon1 = (
            math.radians(float(query.location.lat)),
            math.radians(float(query.location.lon)),
        )
        a = (
            np.sin((self._lat - lat1) / 2) ** 2
            + math.cos(lat1) * np.cos(self._lat) * np.sin((self._lon - lon1) / 2) ** 2
        )
        distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        limit = self._radius
        if query.radius_km is not None:
            limit = np.minimum(limit, float(query.radius_km))
        near = np.flatnonzero(distance <= limit + MARGIN_KM)
        found: dict[int, float] = {}
        for index in near.tolist():
            for _, rounded in reachable_zones([self.zones[index]], query).items():
                found[index] = rounded
        return found
