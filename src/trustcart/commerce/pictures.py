"""Generated product pictures: a flat drawing made from a product's category and colour.

The demo catalog has no photographs, and nothing may be downloaded at run time, so a product
whose category we know how to draw gets a picture drawn here: a T-shirt, a hoodie, a pair of
glasses, a cap, a drink in a cup, a grocery carton or a device, in the product's colour.

Rules kept:

* deterministic: the picture is a pure function of ``PictureSpec`` (shape, colour, background),
  and the spec a pure function of the product's category and ``colour`` attribute, so the same
  product always gets the same bytes (``PictureSpec.key`` names them for caches and ETags);
* usable by the try-on engine: every drawing sits on a plain background that contrasts with the
  product (a light product is drawn on a dark background), with the outline the classical
  cut-out expects (``trustcart.tryon.product``), so a generated T-shirt can be tried on;
* a category we cannot draw has no spec (``picture_spec`` returns None): the page shows a
  labelled placeholder rather than a wrong picture.

>>> spec = picture_spec("apparel/t-shirt", {"colour": "navy"})
>>> spec.shape, spec.colour
(<Shape.TSHIRT: 't-shirt'>, (31, 45, 84))
>>> picture_spec("books/novel", {}) is None
True
>>> draw_picture(spec)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from trustcart.core.errors import ValidationError

PICTURE_SIDE = 512
GENERATOR_VERSION = "1"  # bump when a drawing changes, so caches and ETags move on
SUPERSAMPLE = 2

Rgb = tuple[int, int, int]


class Shape(StrEnum):
    """What the drawing shows."""

    TSHIRT = "t-shirt"
    HOODIE = "hoodie"
    GLASSES = "glasses"
    CAP = "cap"
    CUP = "cup"
    CARTON = "carton"
    DEVICE = "device"


# Category prefixes, most specific first; the first that matches decides the shape.
SHAPE_BY_CATEGORY: tuple[tuple[str, Shape], ...] = (
    ("apparel/hoodie", Shape.HOODIE),
    ("apparel/sweater", Shape.HOODIE),
    ("apparel/jacket", Shape.HOODIE),
    ("apparel/t-shirt", Shape.TSHIRT),
    ("apparel/shirt", Shape.TSHIRT),
    ("apparel/polo", Shape.TSHIRT),
    ("accessories/eyewear", Shape.GLASSES),
    ("accessories/hat", Shape.CAP),
    ("drinks", Shape.CUP),
    ("grocery", Shape.CARTON),
    ("electronics", Shape.DEVICE),
)
NAMED_COLOURS: Mapping[str, Rgb] = {
    "black": (32, 32, 36),
    "white": (250, 250, 250),
    "navy": (31, 45, 84),
    "grey": (128, 132, 138),
    "gray": (128, 132, 138),
    "red": (196, 40, 48),
    "olive": (107, 112, 52),
    "sky blue": (120, 180, 228),
    "blue": (40, 90, 190),
    "beige": (222, 205, 170),
    "green": (46, 140, 80),
    "yellow": (240, 200, 50),
    "orange": (236, 128, 40),
    "pink": (236, 150, 180),
    "purple": (120, 70, 160),
    "brown": (120, 80, 50),
}
# When the product names no colour: the category's usual one.
DEFAULT_COLOURS: tuple[tuple[str, Rgb], ...] = (
    ("drinks/milk-tea", (196, 150, 104)),
    ("drinks/fruit-tea", (240, 140, 60)),
    ("drinks/coffee", (110, 70, 45)),
    ("drinks", (200, 120, 80)),
    ("grocery", (70, 140, 190)),
    ("electronics", (60, 64, 72)),
)
PALETTE: tuple[Rgb, ...] = tuple(dict.fromkeys(NAMED_COLOURS.values()))
LIGHT_BACKGROUND: Rgb = (242, 242, 240)
DARK_BACKGROUND: Rgb = (58, 66, 74)
# Closer than this (Euclidean RGB) to the light background, a product is drawn on the dark one.
MIN_CONTRAST = 110.0


def _distance(a: Rgb, b: Rgb) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)


@dataclass(frozen=True, slots=True)
class PictureSpec:
    """What to draw: a shape, the product's colour and a plain background that contrasts."""

    shape: Shape
    colour: Rgb
    background: Rgb

    def __post_init__(self) -> None:
        if not isinstance(self.shape, Shape):
            raise ValidationError("shape must be a Shape")
        for name in ("colour", "background"):
            value = getattr(self, name)
            if len(value) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in value):
                raise ValidationError(f"{name} must be three ints from 0 to 255")
        if _distance(self.colour, self.background) < 48:
            raise ValidationError("colour and background must contrast")

    @property
    def key(self) -> str:
        """A name for these exact bytes (generator version, shape, colours)."""
        hexes = "".join(f"{c:02x}" for c in (*self.colour, *self.background))
        return f"g{GENERATOR_VERSION}-{self.shape.value}-{hexes}"


def _colour_of(category: str, attributes: Mapping[str, str]) -> Rgb:
    named = (attributes.get("colour") or attributes.get("color") or "").strip().lower()
    if named in NAMED_COLOURS:
        return NAMED_COLOURS[named]
    if named:
        # A colour we have no swatch for still gets a stable one of ours.
        index = hashlib.sha256(named.encode("utf-8")).digest()[0] % len(PALETTE)
        return PALETTE[index]
    for prefix, colour in DEFAULT_COLOURS:
        if category == prefix or category.startswith(prefix + "/"):
            return colour
    return NAMED_COLOURS["grey"]


def picture_spec(category: str, attributes: Mapping[str, str]) -> PictureSpec | None:
    """The drawing for a product of ``category`` with ``attributes``; None if we cannot draw it.

    >>> picture_spec("apparel/polo", {"colour": "white"}).background == DARK_BACKGROUND
    True
    >>> picture_spec("drinks/milk-tea", {}).shape
    <Shape.CUP: 'cup'>
    """
    shape = next(
        (s for p, s in SHAPE_BY_CATEGORY if category == p or category.startswith(p + "/")), None
    )
    if shape is None:
        return None
    colour = _colour_of(category, attributes)
    light_enough = _distance(colour, LIGHT_BACKGROUND) >= MIN_CONTRAST
    return PictureSpec(shape, colour, LIGHT_BACKGROUND if light_enough else DARK_BACKGROUND)


def _shade(colour: Rgb, factor: float) -> Rgb:
    r, g, b = (min(255, max(0, round(c * factor))) for c in colour)
    return r, g, b


def _accent(spec: PictureSpec) -> Rgb:
    """A detail colour that stands out from the product (lighter on dark, darker on light)."""
    luminance = 0.299 * spec.colour[0] + 0.587 * spec.colour[1] + 0.114 * spec.colour[2]
    return _shade(spec.colour, 0.65) if luminance > 110 else _shade(spec.colour, 1.6)


def draw_picture(spec: PictureSpec) -> bytes:
    """The PNG of ``spec``, ``PICTURE_SIDE`` pixels square; the same spec gives the same bytes."""
    from PIL import Image, ImageDraw

    side = PICTURE_SIDE * SUPERSAMPLE
    image = Image.new("RGB", (side, side), spec.background)
    draw = ImageDraw.Draw(image)

    def px(x: float, y: float) -> tuple[float, float]:
        return x * side, y * side

    colour, accent, line = spec.colour, _accent(spec), max(2, side // 170)
    if spec.shape in (Shape.TSHIRT, Shape.HOODIE):
        # The outline of trustcart.tryon.samples.draw_tshirt, on a square canvas.
        outline = [
            px(0.05 + 0.9 * x, 0.06 + 0.86 * y)
            for x, y in (
                (0.38, 0.06), (0.44, 0.10), (0.50, 0.11), (0.56, 0.10), (0.62, 0.06),
                (0.80, 0.12), (0.97, 0.33), (0.85, 0.41), (0.78, 0.33), (0.78, 0.95),
                (0.22, 0.95), (0.22, 0.33), (0.15, 0.41), (0.03, 0.33), (0.20, 0.12),
            )
        ]  # fmt: skip
        draw.polygon(outline, fill=colour, outline=accent, width=line)
        if spec.shape is Shape.HOODIE:
            draw.rectangle((*px(0.35, 0.62), *px(0.65, 0.76)), outline=accent, width=line)
            draw.line((*px(0.46, 0.16), *px(0.45, 0.34)), fill=accent, width=line)
            draw.line((*px(0.54, 0.16), *px(0.55, 0.34)), fill=accent, width=line)
        else:
            draw.line((*px(0.50, 0.16), *px(0.50, 0.30)), fill=accent, width=line)
    elif spec.shape is Shape.GLASSES:
        radius, thick = 0.15 * side, max(6, side // 55)
        for cx in (0.30, 0.70):
            x, y = px(cx, 0.5)
            box = (x - radius, y - radius, x + radius, y + radius)
            draw.ellipse(box, fill=_shade(colour, 1.0), outline=accent, width=thick)
            draw.ellipse(
                (box[0] + thick, box[1] + thick, box[2] - thick, box[3] - thick),
                fill=(120, 150, 170),
            )
        bridge = 0.5 - 0.05
        draw.line((*px(0.45, bridge), *px(0.55, bridge)), fill=colour, width=thick)
        draw.line((*px(0.15, bridge), *px(0.03, bridge - 0.04)), fill=colour, width=thick)
        draw.line((*px(0.85, bridge), *px(0.97, bridge - 0.04)), fill=colour, width=thick)
    elif spec.shape is Shape.CAP:
        draw.pieslice((*px(0.10, 0.22), *px(0.90, 0.98)), 180, 360, fill=colour)
        draw.rectangle((*px(0.06, 0.58), *px(0.94, 0.70)), fill=_shade(colour, 0.7))
        draw.ellipse((*px(0.48, 0.20), *px(0.52, 0.24)), fill=accent)
    elif spec.shape is Shape.CUP:
        draw.polygon([px(0.28, 0.24), px(0.72, 0.24), px(0.66, 0.90), px(0.34, 0.90)], fill=colour)
        draw.rectangle((*px(0.25, 0.19), *px(0.75, 0.25)), fill=accent)
        draw.line((*px(0.55, 0.04), *px(0.52, 0.22)), fill=accent, width=line * 4)
        for x, y in ((0.42, 0.80), (0.50, 0.83), (0.58, 0.80), (0.46, 0.74), (0.55, 0.75)):
            cx, cy = px(x, y)
            r = 0.025 * side
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_shade(colour, 0.45))
    elif spec.shape is Shape.CARTON:
        draw.polygon([px(0.30, 0.22), px(0.70, 0.22), px(0.62, 0.10), px(0.38, 0.10)], fill=accent)
        draw.rectangle((*px(0.30, 0.22), *px(0.70, 0.90)), fill=colour)
        draw.rectangle((*px(0.34, 0.44), *px(0.66, 0.64)), fill=(250, 250, 246))
    else:  # Shape.DEVICE
        draw.rounded_rectangle((*px(0.30, 0.10), *px(0.70, 0.90)), 0.05 * side, fill=colour)
        draw.rectangle((*px(0.34, 0.16), *px(0.66, 0.80)), fill=accent)
        draw.ellipse((*px(0.48, 0.83), *px(0.52, 0.87)), fill=accent)
    image = image.resize((PICTURE_SIDE, PICTURE_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()
