"""The resources a seller sells per call: a price-history API, a digital good.

A ``PaidResource`` is what a requirement is about: its ``resource_id`` goes into every
requirement, cart and credential, so a proof paid for one resource never opens another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trustcart.core.errors import ValidationError
from trustcart.core.money import Money

_RESOURCE_ID = re.compile(r"[a-z0-9][a-z0-9:._/-]{0,127}")


@dataclass(frozen=True)
class PaidResource:
    """One paid resource and its price per call.

    >>> PaidResource("price-history", "Price history", Money.parse("0.10", "CNY")).category
    'digital/api-call'
    """

    resource_id: str
    title: str
    price: Money
    category: str = "digital/api-call"
    x402_price: Money | None = None  # USD, for x402 (USDC); None: not offered over x402

    def __post_init__(self) -> None:
        if not isinstance(self.resource_id, str) or not _RESOURCE_ID.fullmatch(self.resource_id):
            raise ValidationError("resource_id must be a lower-case identifier")
        if not isinstance(self.title, str) or not self.title:
            raise ValidationError("a paid resource needs a title")
        if not isinstance(self.price, Money) or self.price.minor <= 0:
            raise ValidationError("a paid resource has a positive price")
        if not isinstance(self.category, str) or not self.category:
            raise ValidationError("a paid resource needs a category")
        if self.x402_price is not None and (
            not isinstance(self.x402_price, Money) or self.x402_price.minor <= 0
        ):
            raise ValidationError("an x402 price is a positive Money")
