"""The basket optimiser: split a multi-item basket across merchants at the lowest delivered total.

A basket is a list of wanted items ("tofu x2", "lamb slices", "hotpot base"), each with the
products that could fill it, at one or more merchants. A *split* chooses one product per item;
the items that land at the same merchant form one cart there, priced by ``cart.price_cart``
exactly as the merchant will price it when it confirms: line totals, then the best coupon
combination on that merchant's *combined* subtotal (so "spend 100, get 15 off" counts the
whole cart, not one line), then the merchant's shipping fee, once. The delivered total of a
split is the sum of its carts' totals; the optimiser returns the split with the lowest one.

Strategy:

* **exact** when the number of splits (the product of each item's choices) is at most
  ``MAX_EXACT_SPLITS``: every split is priced, each distinct merchant cart once (memoised);
* otherwise **bounded local search**: the search starts from the best of the two baselines
  below and moves one item at a time to another product while that lowers the total (at most
  ``MAX_SEARCH_ROUNDS`` sweeps). Its result is then never worse than either baseline, but it
  may miss the optimum (``BasketPlan.exact`` is ``False`` and says so).

Baselines, which the optimiser never loses to (the property tests check both):

* ``cheapest_each``: each item at the product whose own one-line cart is cheapest delivered;
* ``one_merchant``: everything at a single merchant that sells every item.

Ties break deterministically: lowest total, then fewer merchants, then the sorted product ids.
Products out of stock for the wanted quantity are never chosen; an item nobody can fill raises
``StockError`` (``out-of-stock``).

>>> from trustcart.commerce.basket import MAX_EXACT_SPLITS
>>> MAX_EXACT_SPLITS
20000
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import product as cartesian

from trustcart.commerce.cart import CartLine, PricedCart, price_cart
from trustcart.commerce.catalog import Coupon, Merchant, Product
from trustcart.commerce.errors import CommerceProblem, StockError
from trustcart.core.errors import ValidationError
from trustcart.core.money import Money, sum_money

MAX_EXACT_SPLITS = 20000
MAX_SEARCH_ROUNDS = 20
MAX_ITEMS = 30


@dataclass(frozen=True, slots=True)
class BasketItem:
    """One wanted item: a name for people, a quantity and the products that could fill it."""

    item_id: str
    quantity: int
    choices: tuple[Product, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.item_id, str) or not self.item_id.strip():
            raise ValidationError("a basket item needs a name")
        if isinstance(self.quantity, bool) or not 1 <= self.quantity <= 99:
            raise ValidationError("a basket item's quantity must be within 1..99")
        if not isinstance(self.choices, tuple):
            raise ValidationError("choices must be a tuple of products")


@dataclass(frozen=True, slots=True)
class BasketPlan:
    """The chosen split: one priced cart per merchant, their total, whether it is proven best."""

    carts: tuple[PricedCart, ...]
    assignment: Mapping[str, Product]
    total: Money
    exact: bool

    def __post_init__(self) -> None:
        if not self.carts:
            raise ValidationError("a plan holds at least one cart")
        if sum_money([c.total for c in self.carts], self.total.currency) != self.total:
            raise ValidationError("a plan's total is the sum of its carts' totals")

    @property
    def merchant_ids(self) -> tuple[str, ...]:
        return tuple(cart.merchant.merchant_id for cart in self.carts)


_Split = tuple[Product, ...]


class _Pricer:
    """Prices a split; each merchant's cart (a set of lines) is priced once."""

    def __init__(
        self,
        items: Sequence[BasketItem],
        merchants: Mapping[str, Merchant],
        coupons: Sequence[Coupon],
        now: datetime,
        max_coupons: int,
    ) -> None:
        self._items = items
        self._merchants = merchants
        self._coupons = coupons
        self._now = now
        self._max_coupons = max_coupons
        self._carts: dict[tuple[str, tuple[tuple[str, int], ...]], PricedCart] = {}

    def carts(self, split: _Split) -> tuple[PricedCart, ...]:
        lines: dict[str, dict[str, int]] = {}
        by_id: dict[str, Product] = {}
        for item, chosen in zip(self._items, split, strict=True):
            at = lines.setdefault(chosen.merchant_id, {})
            at[chosen.product_id] = at.get(chosen.product_id, 0) + item.quantity
            by_id[chosen.product_id] = chosen
        carts = []
        for merchant_id in sorted(lines):
            key = (merchant_id, tuple(sorted(lines[merchant_id].items())))
            if key not in self._carts:
                self._carts[key] = price_cart(
                    self._merchants[merchant_id],
                    [CartLine(by_id[pid], qty) for pid, qty in key[1]],
                    self._coupons,
                    now=self._now,
                    max_coupons=self._max_coupons,
                )
            carts.append(self._carts[key])
        return tuple(carts)

    def rank(self, split: _Split) -> tuple[int, int, tuple[str, ...]]:
        carts = self.carts(split)
        return (
            sum(c.total.minor for c in carts),
            len(carts),
            tuple(sorted(p.product_id for p in split)),
        )


def _usable(item: BasketItem, merchants: Mapping[str, Merchant]) -> tuple[Product, ...]:
    usable = tuple(
        sorted(
            (p for p in item.choices if p.merchant_id in merchants and p.in_stock(item.quantity)),
            key=lambda p: (p.price.minor, p.product_id),
        )
    )
    if not usable:
        raise StockError(
            CommerceProblem.OUT_OF_STOCK,
            f"no merchant can deliver {item.quantity} x {item.item_id}",
        )
    return usable


def cheapest_each(pricer: _Pricer, choices: Sequence[Sequence[Product]]) -> _Split:
    """Baseline: each item at the product whose own one-line cart is cheapest delivered."""
    split = []
    for index, options in enumerate(choices):
        alone = _Pricer(
            [pricer._items[index]],
            pricer._merchants,
            pricer._coupons,
            pricer._now,
            pricer._max_coupons,
        )
        split.append(min(options, key=lambda p: alone.rank((p,))))
    return tuple(split)


def one_merchant_splits(choices: Sequence[Sequence[Product]]) -> list[_Split]:
    """Baseline: for each merchant selling every item, everything there (cheapest products)."""
    everywhere = set.intersection(*({p.merchant_id for p in c} for c in choices))
    return [
        tuple(next(p for p in c if p.merchant_id == merchant_id) for c in choices)
        for merchant_id in sorted(everywhere)
    ]


def _local_search(pricer: _Pricer, choices: Sequence[Sequence[Product]], start: _Split) -> _Split:
    best, best_rank = start, pricer.rank(start)
    for _ in range(MAX_SEARCH_ROUNDS):
        improved = False
        for index, options in enumerate(choices):
            for option in options:
                candidate = (*best[:index], option, *best[index + 1 :])
                rank = pricer.rank(candidate)
                if rank < best_rank:
                    best, best_rank, improved = candidate, rank, True
        if not improved:
            break
    return best


def plan_basket(
    items: Sequence[BasketItem],
    merchants: Mapping[str, Merchant],
    coupons: Iterable[Coupon],
    *,
    now: datetime,
    max_coupons: int = 3,
    max_exact_splits: int = MAX_EXACT_SPLITS,
) -> BasketPlan:
    """The split of ``items`` across ``merchants`` with the lowest delivered total (module doc).

    ``merchants`` are the shops that may be used (their shipping fee is charged once each);
    ``coupons`` every coupon of theirs (each cart uses only its merchant's).
    """
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError(f"a basket holds 1..{MAX_ITEMS} items")
    if len({item.item_id for item in items}) != len(items):
        raise ValidationError("each basket item appears once")
    currencies = {m.currency for m in merchants.values()}
    if len(currencies) != 1:
        raise ValidationError("a basket is priced in one currency")
    pricer = _Pricer(list(items), merchants, list(coupons), now, max_coupons)
    choices = [_usable(item, merchants) for item in items]
    splits = 1
    for options in choices:
        splits *= len(options)
    if splits <= max_exact_splits:
        best = min(cartesian(*choices), key=pricer.rank)
        exact = True
    else:
        starts = [cheapest_each(pricer, choices), *one_merchant_splits(choices)]
        best = _local_search(pricer, choices, min(starts, key=pricer.rank))
        exact = False
    carts = pricer.carts(best)
    return BasketPlan(
        carts=carts,
        assignment={item.item_id: chosen for item, chosen in zip(items, best, strict=True)},
        total=sum_money([c.total for c in carts], currencies.pop()),
        exact=exact,
    )
