"""Merchant onboarding: what a new merchant states, checked, then written in one transaction.

A ``MerchantApplication`` is what the console form and ``trustcart merchants create`` collect:
the name in English and in Chinese, the location, the delivery radius, the shipping fee, the
categories and any coupons (``CouponTerms``). Building it validates every field through the
catalog value objects (``Merchant``, ``Coupon``), so an application that exists can be written.
``merchant_id_for`` derives the id from the English name (``m_<slug>``, with a suffix when the
slug is taken); ``register_merchant`` writes the merchant and its coupons in one transaction
and refuses an id that exists. Signing keys are not made here: the composition root generates
the key, keeps it and publishes it (``local.onboarding``), because where keys live is a
deployment's choice (a KMS in production).

>>> from datetime import UTC, datetime
>>> terms = CouponTerms.parse(kind="fixed", value="5", threshold="30", description="5 off 30",
...                           currency="CNY")
>>> app = MerchantApplication.parse(name="Lotus Tea", name_zh="莲花茶", lat="30.25",
...     lon="120.13", delivery_radius_km="5", shipping_fee="3", categories="drinks/milk-tea",
...     coupons=[terms])
>>> merchant = app.merchant("m_lotus_tea")
>>> merchant.name_zh, merchant.delivery_fee.amount_str()
('莲花茶', '3.00')
>>> merchant_id_for("Lotus Tea & Co.", taken={"m_lotus_tea_co"}, random_suffix=lambda: "x7")
'm_lotus_tea_co_x7'
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from trustcart.commerce.catalog import Coupon, CouponKind, Merchant
from trustcart.commerce.repository import coupon_from_row, coupon_mapping, insert_catalog
from trustcart.core.clock import format_instant
from trustcart.core.errors import ValidationError
from trustcart.core.geo import GeoPoint
from trustcart.core.ids import new_id
from trustcart.core.money import Money
from trustcart.store.commerce import CouponRow, MerchantRow
from trustcart.store.db import Database

DEFAULT_COUPON_DAYS = 90
MAX_COUPONS = 20
MAX_NUMBER = Decimal(10) ** 12  # any amount, radius or percent a form may state
_SLUG = re.compile(r"[^a-z0-9]+")


class MerchantExists(ValidationError):
    """The merchant id is taken."""


def _amount(value: str, what: str, currency: str) -> Money:
    """A decimal amount in major units ("5", "4.5") as Money, to the cent."""
    return Money.parse(str(_decimal(value, what).quantize(Decimal("0.01"))), currency)


def _decimal(value: str, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as e:
        raise ValidationError(f"{what} {value!r} is not a number") from e
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise ValidationError(f"{what} must be a number below {MAX_NUMBER}")
    return number


@dataclass(frozen=True, slots=True)
class CouponTerms:
    """A coupon as the merchant states it: fixed (amount off) or percent, with a threshold."""

    kind: CouponKind
    value: int  # minor units off (fixed) or whole percent (percent)
    threshold: Money
    description: str
    valid_days: int = DEFAULT_COUPON_DAYS
    category_scope: str = ""
    exclusive: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.valid_days, bool) or not 1 <= self.valid_days <= 3650:
            raise ValidationError("a coupon is valid for 1 to 3650 days")
        # Build one to run every rule of Coupon now, not at registration.
        self.coupon("m_check", "cpn_check", datetime.fromisoformat("2026-01-01T00:00:00+00:00"))

    @classmethod
    def parse(  # noqa: PLR0917 - one parameter per form field
        cls,
        kind: str,
        value: str,
        threshold: str,
        description: str,
        currency: str,
        valid_days: int = DEFAULT_COUPON_DAYS,
        category_scope: str = "",
        exclusive: bool = False,
    ) -> CouponTerms:
        """Read form text: ``value`` is an amount ("5", "4.50") for fixed, a percent for percent."""
        try:
            coupon_kind = CouponKind(kind.strip().lower())
        except ValueError as e:
            raise ValidationError("coupon kind must be fixed or percent") from e
        if coupon_kind is CouponKind.FIXED:
            amount = _amount(value, "coupon value", currency).minor
        else:
            percent = _decimal(value, "coupon percent")
            if percent != percent.to_integral_value():
                raise ValidationError("a percent coupon takes a whole percent")
            amount = int(percent)
        return cls(
            coupon_kind,
            amount,
            _amount(threshold or "0", "threshold", currency),
            description.strip(),
            valid_days,
            category_scope.strip(),
            exclusive,
        )

    def coupon(self, merchant_id: str, coupon_id: str, valid_from: datetime) -> Coupon:
        return Coupon(
            coupon_id=coupon_id,
            merchant_id=merchant_id,
            kind=self.kind,
            value=self.value,
            threshold=self.threshold,
            description=self.description,
            valid_from=valid_from,
            valid_until=valid_from + timedelta(days=self.valid_days),
            exclusive=self.exclusive,
            category_scope=self.category_scope,
        )


@dataclass(frozen=True, slots=True)
class MerchantApplication:
    """Everything a merchant states to open a shop; valid once built."""

    name: str
    name_zh: str
    location: GeoPoint
    delivery_radius_km: Decimal
    shipping_fee: Money
    categories: tuple[str, ...]
    coupons: tuple[CouponTerms, ...] = ()

    def __post_init__(self) -> None:
        if len(self.coupons) > MAX_COUPONS:
            raise ValidationError(f"at most {MAX_COUPONS} coupons at onboarding")
        for terms in self.coupons:
            if terms.threshold.currency != self.shipping_fee.currency:
                raise ValidationError("coupons must be in the merchant's currency")
        self.merchant("m_check")  # every Merchant rule, now

    @classmethod
    def parse(  # noqa: PLR0917 - one parameter per form field
        cls,
        name: str,
        name_zh: str,
        lat: str,
        lon: str,
        delivery_radius_km: str,
        shipping_fee: str,
        categories: str | Sequence[str],
        currency: str = "CNY",
        coupons: Sequence[CouponTerms] = (),
    ) -> MerchantApplication:
        """Read form text; ``categories`` is a comma-separated list or a sequence."""
        if isinstance(categories, str):
            categories = [c for c in (part.strip() for part in categories.split(",")) if c]
        fee = _decimal(shipping_fee or "0", "shipping fee").quantize(Decimal("0.01"))
        return cls(
            name=name.strip(),
            name_zh=name_zh.strip(),
            location=GeoPoint.parse(lat.strip(), lon.strip()),
            delivery_radius_km=_decimal(delivery_radius_km, "delivery radius"),
            shipping_fee=Money.parse(str(fee), currency.strip().upper()),
            categories=tuple(dict.fromkeys(categories)),
            coupons=tuple(coupons),
        )

    def merchant(self, merchant_id: str) -> Merchant:
        return Merchant(
            merchant_id=merchant_id,
            name=self.name,
            location=self.location,
            delivery_radius_km=self.delivery_radius_km,
            categories=self.categories,
            currency=self.shipping_fee.currency,
            delivery_fee=self.shipping_fee,
            name_zh=self.name_zh,
        )


def merchant_id_for(
    name: str,
    *,
    taken: Collection[str],
    random_suffix: Callable[[], str] = lambda: secrets.token_hex(3),
) -> str:
    """``m_<slug of the English name>`` (at most 40 characters), suffixed when taken."""
    slug = _SLUG.sub("_", name.lower()).strip("_")[:40].strip("_") or "shop"
    candidate = f"m_{slug}"
    while candidate in taken:
        candidate = f"m_{slug}_{random_suffix()}"
    return candidate


def register_merchant(
    db: Database,
    application: MerchantApplication,
    *,
    now: datetime,
    merchant_id: str | None = None,
    random_suffix: Callable[[], str] = lambda: secrets.token_hex(3),
) -> tuple[Merchant, list[Coupon]]:
    """Write the merchant and its coupons in one transaction; ``MerchantExists`` if taken."""
    with db.transaction() as session:
        taken = set(session.scalars(select(MerchantRow.merchant_id)))
        chosen = merchant_id or merchant_id_for(
            application.name, taken=taken, random_suffix=random_suffix
        )
        if chosen in taken:
            raise MerchantExists(f"merchant {chosen} exists")
        merchant = application.merchant(chosen)
        coupons = [
            terms.coupon(chosen, new_id("cpn"), now.replace(microsecond=0))
            for terms in application.coupons
        ]
        insert_catalog(session, [merchant], [], coupons)
    return merchant, coupons


def add_coupon(db: Database, merchant_id: str, terms: CouponTerms, *, now: datetime) -> Coupon:
    """Give an existing merchant one more coupon, valid from ``now``."""
    with db.transaction() as session:
        row = session.get(MerchantRow, merchant_id)
        if row is None:
            raise ValidationError(f"unknown merchant {merchant_id!r}")
        if terms.threshold.currency != row.currency:
            raise ValidationError("coupons must be in the merchant's currency")
        coupon = terms.coupon(merchant_id, new_id("cpn"), now.replace(microsecond=0))
        session.add(CouponRow(**coupon_mapping(coupon)))
    return coupon


def end_coupon(db: Database, merchant_id: str, coupon_id: str, *, now: datetime) -> Coupon:
    """End a coupon now (it stays on record; carts already confirmed keep their price)."""
    with db.transaction() as session:
        row = session.get(CouponRow, coupon_id)
        if row is None or row.merchant_id != merchant_id:
            raise ValidationError(f"unknown coupon {coupon_id!r}")
        coupon = coupon_from_row(row)
        # valid_until must stay after valid_from: a coupon ended at its start lasts one second.
        ending = max(now.replace(microsecond=0), coupon.valid_from + timedelta(seconds=1))
        if ending < coupon.valid_until:
            row.valid_until = format_instant(ending)
        return coupon_from_row(row)
