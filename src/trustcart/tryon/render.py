"""Dispatch from category to the drawing function; the photo is changed in place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trustcart.tryon.types import Box, Category

if TYPE_CHECKING:
    from trustcart.tryon.images import Image
    from trustcart.tryon.person import PersonAnalysis
    from trustcart.tryon.product import PreparedProduct


def render(photo: Image, person: PersonAnalysis, product: PreparedProduct) -> Box | None:
    """Draw ``product`` on ``photo``; return the box of the pixels it changed, if any."""
    if product.category is not person.category:
        raise ValueError("product and person analysis are for different categories")
    if product.category is Category.UPPER:
        from trustcart.tryon.garment import render_garment

        return render_garment(photo, person, product)
    from trustcart.tryon.accessories import render_eyewear, render_headwear

    if product.category is Category.EYEWEAR:
        return render_eyewear(photo, person, product)
    return render_headwear(photo, person, product)
