"""Values that cross the try-on boundary: categories, geometry, the request and the result.

Nothing here imports numpy or OpenCV, so the HTTP and CLI shells (and a generative back end that
never touches them) can build requests while the optional extra is absent. A request carries the
images as encoded bytes (PNG, JPEG or WebP) because that is what both shells receive; each back end
decodes them itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from trustcart.core.errors import ValidationError

# Caps on what a request may carry. Bytes are checked here; pixel counts are read from the image
# header before decoding (images.py), so a small file that claims to be huge is refused unread.
MAX_IMAGE_BYTES = 12 * 1024 * 1024
MAX_IMAGE_PIXELS = 36_000_000
MIN_IMAGE_SIDE = 64

APPROXIMATE_NOTICE = (
    "Approximate preview: the product is warped onto your photo by a classical method; "
    "fit, drape, size and colour may differ from the real item."
)


class Category(StrEnum):
    """What kind of product is tried on; each has its own anchors on the person."""

    UPPER = "upper"
    EYEWEAR = "eyewear"
    HEADWEAR = "headwear"


@dataclass(frozen=True)
class Point:
    x: float
    y: float

    def scaled(self, factor: float) -> Point:
        return Point(self.x * factor, self.y * factor)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels, ``left <= right`` and ``top <= bottom``."""

    left: float
    top: float
    right: float
    bottom: float

    def __post_init__(self) -> None:
        if self.right < self.left or self.bottom < self.top:
            raise ValidationError(f"box corners out of order: {self}")

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def center(self) -> Point:
        return Point((self.left + self.right) / 2, (self.top + self.bottom) / 2)

    def contains(self, point: Point) -> bool:
        return self.left <= point.x <= self.right and self.top <= point.y <= self.bottom

    def scaled(self, factor: float) -> Box:
        return Box(self.left * factor, self.top * factor, self.right * factor, self.bottom * factor)

    def to_json(self) -> list[int]:
        return [round(self.left), round(self.top), round(self.right), round(self.bottom)]


def _check_image_bytes(name: str, data: bytes) -> None:
    if not isinstance(data, bytes) or not data:
        raise ValidationError(f"{name} must be non-empty bytes")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(f"{name} exceeds {MAX_IMAGE_BYTES} bytes")


@dataclass(frozen=True)
class TryOnRequest:
    """One try-on: a person photo, a product image, the product's category.

    ``product_key`` names the product for the preparation cache (a catalog product id); without
    it the SHA-256 of the product image is used, so the same image is cut out only once.

    >>> TryOnRequest(b"...png...", b"...png...", Category.EYEWEAR).product_cache_key[:8]
    'eyewear:'
    """

    person_image: bytes = field(repr=False)
    product_image: bytes = field(repr=False)
    category: Category
    product_key: str | None = None

    def __post_init__(self) -> None:
        _check_image_bytes("person_image", self.person_image)
        _check_image_bytes("product_image", self.product_image)
        if not isinstance(self.category, Category):
            try:
                object.__setattr__(self, "category", Category(self.category))
            except ValueError as e:
                choices = ", ".join(c.value for c in Category)
                raise ValidationError(f"category must be one of {choices}") from e
        if self.product_key is not None and not (0 < len(self.product_key) <= 200):
            raise ValidationError("product_key must be 1 to 200 characters")

    @property
    def product_cache_key(self) -> str:
        key = self.product_key or hashlib.sha256(self.product_image).hexdigest()
        return f"{self.category.value}:{key}"


@dataclass(frozen=True)
class TryOnResult:
    """The photo with the product on it, as PNG of the photo's own size.

    ``region`` is where the product was drawn (photo pixels); ``approximate`` is true for the
    classical back end and must be shown to the shopper with ``notice``.
    """

    image_png: bytes = field(repr=False)
    width: int
    height: int
    category: Category
    backend: str
    region: Box
    approximate: bool
    notice: str
    timings: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if not self.image_png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValidationError("image_png must be a PNG")
        if self.width <= 0 or self.height <= 0:
            raise ValidationError("width and height must be positive")

    def to_json(self) -> dict[str, object]:
        """Everything but the image, for headers and ``--json`` output."""
        return {
            "width": self.width,
            "height": self.height,
            "category": self.category.value,
            "backend": self.backend,
            "region": self.region.to_json(),
            "approximate": self.approximate,
            "notice": self.notice,
            "timings_ms": {stage: round(seconds * 1000, 1) for stage, seconds in self.timings},
        }
