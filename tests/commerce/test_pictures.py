"""Generated product pictures: deterministic, on a plain border, usable by the try-on engine."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.commerce.pictures import (
    DARK_BACKGROUND,
    LIGHT_BACKGROUND,
    MIN_CONTRAST,
    NAMED_COLOURS,
    PICTURE_SIDE,
    SHAPE_BY_CATEGORY,
    PictureSpec,
    Shape,
    draw_picture,
    picture_spec,
)
from trustcart.core.errors import ValidationError

DRAWN_CATEGORIES = [prefix for prefix, _ in SHAPE_BY_CATEGORY]


def _pixels(png: bytes) -> object:
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_the_spec_follows_category_and_colour() -> None:
    assert picture_spec("apparel/t-shirt", {"colour": "navy"}) == PictureSpec(
        Shape.TSHIRT, NAMED_COLOURS["navy"], LIGHT_BACKGROUND
    )
    assert picture_spec("apparel/hoodie/zip", {"colour": "Red"}).shape is Shape.HOODIE  # type: ignore[union-attr]
    assert picture_spec("accessories/eyewear", {}).shape is Shape.GLASSES  # type: ignore[union-attr]
    assert picture_spec("accessories/hat", {}).shape is Shape.CAP  # type: ignore[union-attr]
    # A light product goes on the dark background, so that it can still be cut out.
    assert picture_spec("apparel/t-shirt", {"colour": "white"}).background == DARK_BACKGROUND  # type: ignore[union-attr]
    # "apparel" alone, or a category we cannot draw: no spec, the page shows the placeholder.
    assert picture_spec("apparel", {}) is None
    assert picture_spec("books/novel", {"colour": "red"}) is None
    assert picture_spec("apparelx/t-shirt", {}) is None


def test_a_spec_that_does_not_contrast_or_is_out_of_range_is_refused() -> None:
    with pytest.raises(ValidationError, match="contrast"):
        PictureSpec(Shape.CUP, (240, 240, 240), LIGHT_BACKGROUND)
    with pytest.raises(ValidationError, match="0 to 255"):
        PictureSpec(Shape.CUP, (300, 0, 0), LIGHT_BACKGROUND)
    with pytest.raises(ValidationError, match="Shape"):
        PictureSpec("cup", (0, 0, 0), LIGHT_BACKGROUND)  # type: ignore[arg-type]


def test_an_unknown_colour_name_gets_a_stable_swatch_of_ours() -> None:
    first = picture_spec("apparel/t-shirt", {"colour": "burnt sienna"})
    assert first == picture_spec("apparel/t-shirt", {"colour": "burnt sienna"})
    assert first is not None
    assert first.colour in NAMED_COLOURS.values()


@settings(max_examples=12, deadline=None)
@given(
    category=st.sampled_from(DRAWN_CATEGORIES),
    colour=st.one_of(st.sampled_from(sorted(NAMED_COLOURS)), st.text(max_size=12)),
)
def test_every_drawing_is_the_same_bytes_on_a_plain_contrasting_border(
    category: str, colour: str
) -> None:
    spec = picture_spec(category, {"colour": colour})
    assert spec is not None
    png = draw_picture(spec)
    assert png == draw_picture(spec)  # deterministic
    image = _pixels(png)
    assert image.size == (PICTURE_SIDE, PICTURE_SIDE)  # type: ignore[attr-defined]
    border = {
        image.getpixel((x, y))  # type: ignore[attr-defined]
        for x in range(0, PICTURE_SIDE, 7)
        for y in (0, 3, PICTURE_SIDE - 1)
    }
    assert border == {spec.background}
    distance = sum((a - b) ** 2 for a, b in zip(spec.colour, spec.background, strict=True)) ** 0.5
    assert distance >= min(MIN_CONTRAST, 48)


@pytest.mark.parametrize(
    ("category", "colour", "kind"),
    [
        ("apparel/t-shirt", "navy", "upper"),
        ("apparel/hoodie", "white", "upper"),
        ("accessories/eyewear", "black", "eyewear"),
        ("accessories/hat", "beige", "headwear"),
    ],
)
def test_the_try_on_engine_can_prepare_every_drawn_try_on_product(
    category: str, colour: str, kind: str
) -> None:
    pytest.importorskip("cv2")
    from trustcart.tryon.product import prepare_product
    from trustcart.tryon.types import Category

    spec = picture_spec(category, {"colour": colour})
    assert spec is not None
    prepared = prepare_product(draw_picture(spec), Category(kind))
    assert prepared.keypoints  # anchors were found on the outline
