"""Catalog categories: lowercase slash paths, and the one rule for "within".

A category is a canonical path such as ``drinks/milk-tea``: lowercase ASCII letters, digits and
hyphens, segments joined by ``/``. Credentials, carts, coupons, search filters and evidence all
compare categories with ``category_within``, and only canonical paths are ever within anything:
another spelling (``Drinks/Alcohol``, ``drinks/alcohol ``, ``drinks/milk-tea/../alcohol``,
full-width look-alikes) cannot be judged by a string prefix test, so it matches nothing, and a
forbidden category cannot be slipped past by spelling it differently.
"""

from __future__ import annotations

import re

from trustcart.core.errors import ValidationError

MAX_CATEGORY_LENGTH = 200
_CATEGORY_RE = re.compile(r"[a-z0-9-]+(?:/[a-z0-9-]+)*", re.ASCII)


def is_canonical_category(value: object) -> bool:
    """True for ``drinks/milk-tea``; False for anything a string comparison could misjudge.

    >>> is_canonical_category("drinks/milk-tea"), is_canonical_category("Drinks/Alcohol")
    (True, False)
    >>> is_canonical_category("drinks/milk-tea/../alcohol")
    False
    """
    return (
        isinstance(value, str)
        and len(value) <= MAX_CATEGORY_LENGTH
        and _CATEGORY_RE.fullmatch(value) is not None
    )


def check_category(category: object) -> str:
    """The category itself if canonical, else ``ValidationError``.

    >>> check_category("apparel/t-shirt")
    'apparel/t-shirt'
    """
    if isinstance(category, str) and is_canonical_category(category):
        return category
    raise ValidationError(f"category {category!r} must be a path such as 'drinks/milk-tea'")


def category_within(category: str, prefix: str) -> bool:
    """``drinks/milk-tea`` is within ``drinks`` and within itself, not within ``drink``.

    Both must be canonical; anything else is within nothing.

    >>> category_within("drinks/milk-tea", "drinks"), category_within("drinks/milk-tea", "drink")
    (True, False)
    >>> category_within("Drinks/Alcohol", "drinks")
    False
    """
    if not (is_canonical_category(category) and is_canonical_category(prefix)):
        return False
    return category == prefix or category.startswith(prefix + "/")
