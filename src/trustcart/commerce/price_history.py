"""Observed prices of product offers: what "is today's price good?" is judged against.

A ``PricePoint`` is one price an offer had at one instant. The import writes one whenever an
offer first appears or its price changes (``ingest``); a seeded catalog brings its own past
(``local.seed``). ``compare.judge_price`` reads them back per offer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from trustcart.core.clock import format_instant
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money
from trustcart.store.commerce import PriceHistoryRow

INSERT_BATCH = 10_000


@dataclass(frozen=True, slots=True)
class PricePoint:
    """``product_id`` cost ``price`` at ``observed_at`` (timezone-aware)."""

    product_id: str
    observed_at: datetime
    price: Money

    def __post_init__(self) -> None:
        if self.observed_at.tzinfo is None:
            raise ValidationError("observed_at must be timezone-aware")
        if not isinstance(self.price, Money) or self.price.is_negative():
            raise ValidationError("an observed price is Money >= 0")


def insert_price_points(session: Session, points: Iterable[PricePoint]) -> int:
    """Insert the points inside the caller's transaction (executemany in batches)."""
    count = 0
    batch: list[dict[str, object]] = []
    for point in points:
        batch.append(
            {
                "product_id": point.product_id,
                "observed_at": format_instant(point.observed_at),
                "price_minor": point.price.minor,
                "currency": point.price.currency,
            }
        )
        if len(batch) >= INSERT_BATCH:
            session.execute(insert(PriceHistoryRow), batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(insert(PriceHistoryRow), batch)
        count += len(batch)
    return count


def load_price_history(session: Session, product_ids: Sequence[str]) -> dict[str, list[Money]]:
    """Every observed price of each product, oldest first."""
    history: dict[str, list[Money]] = {}
    if not product_ids:
        return history
    rows = session.scalars(
        select(PriceHistoryRow)
        .where(PriceHistoryRow.product_id.in_(list(product_ids)))
        .order_by(PriceHistoryRow.observed_at, PriceHistoryRow.id)
    )
    for row in rows:
        history.setdefault(row.product_id, []).append(Money(row.price_minor, row.currency))
    return history
