"""Product preparation: cut the product out of its picture and find its anchor points.

No package on PyPI ships a background-removal network, so the cut-out is classical: a product
shot has a plain background, whose colour is read from the image border. Pixels far from it are
product, pixels close to it are background, and GrabCut (at low resolution, it is O(pixels))
decides only the band in between, which is where soft shadows and anti-aliased edges are. An
image with transparency is taken as already cut out.

The result, a ``PreparedProduct``, is what the cache keeps per product: the RGBA cut-out cropped
to the product, its anchor points and, for garments, its separate layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trustcart.tryon.errors import ProductImageError, TryOnProblem
from trustcart.tryon.images import decode_image
from trustcart.tryon.types import Category, Point

if TYPE_CHECKING:
    from trustcart.tryon.images import Image

PRODUCT_SIDE = 768
GRABCUT_SIDE = 200
# The border must be this close to one colour (Euclidean RGB distance, 90th percentile).
PLAIN_BORDER_SPREAD = 40.0
MIN_PRODUCT_SHARE = 0.02
KEEP_COMPONENT_SHARE = 0.08


@dataclass(frozen=True, eq=False)
class PreparedProduct:
    """A product ready to be drawn: RGBA layers and named anchor points (layer pixels)."""

    category: Category
    rgba: Image = field(repr=False)
    keypoints: dict[str, Point]
    layers: dict[str, Image] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.rgba.ndim != 3 or self.rgba.shape[2] != 4:
            raise ValueError("rgba must be an H x W x 4 array")


def _unusable(message: str) -> ProductImageError:
    return ProductImageError(TryOnProblem.PRODUCT_UNUSABLE, message)


def _border_pixels(rgb: Image) -> Any:
    import numpy as np

    height, width = rgb.shape[:2]
    band = max(2, round(0.02 * min(height, width)))
    return np.concatenate(
        [
            rgb[:band].reshape(-1, 3),
            rgb[-band:].reshape(-1, 3),
            rgb[:, :band].reshape(-1, 3),
            rgb[:, -band:].reshape(-1, 3),
        ]
    ).astype(np.float32)


def _mask_from_background(rgb: Image) -> Any:
    """0/1 mask of the product on a plain background; ``ProductImageError`` if not plain."""
    import cv2
    import numpy as np

    border = _border_pixels(rgb)
    background = np.median(border, axis=0)
    spread = float(np.percentile(np.linalg.norm(border - background, axis=1), 90))
    if spread > PLAIN_BORDER_SPREAD:
        raise _unusable("the product must be photographed on a plain background")
    distance = np.linalg.norm(rgb.astype(np.float32) - background, axis=2)
    threshold = max(24.0, 2.0 * spread + 12.0)
    sure = distance > 2.0 * threshold
    unsure = (distance > threshold / 2.0) & ~sure
    mask = (distance > threshold).astype(np.uint8)
    if unsure.any() and sure.any():
        height, width = rgb.shape[:2]
        scale = min(1.0, GRABCUT_SIDE / max(height, width))
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        seeds = np.where(
            sure, cv2.GC_FGD, np.where(unsure & (distance > threshold), cv2.GC_PR_FGD, cv2.GC_BGD)
        )
        seeds = np.where(unsure & (distance <= threshold), cv2.GC_PR_BGD, seeds).astype(np.uint8)
        small = cv2.resize(seeds, size, interpolation=cv2.INTER_NEAREST)
        if (small == cv2.GC_BGD).any() and np.isin(small, (cv2.GC_FGD, cv2.GC_PR_FGD)).any():
            colours = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            models = (np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64))
            cv2.grabCut(
                colours, small, (0, 0, 0, 0), models[0], models[1], 2, cv2.GC_INIT_WITH_MASK
            )
            decided = np.isin(small, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
            full: Any = cv2.resize(decided, (width, height), interpolation=cv2.INTER_NEAREST)
            mask = np.where(unsure, full, sure).astype(np.uint8)
    return mask


def _keep_main_parts(mask: Any) -> Any:
    import cv2
    import numpy as np

    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.flatnonzero(areas >= KEEP_COMPONENT_SHARE * areas.max())
    return np.isin(labels, keep).astype(np.uint8)


def cut_out(image: Image) -> Image:
    """RGBA cut-out of the product, cropped to it and at most ``PRODUCT_SIDE`` pixels."""
    import cv2
    import numpy as np

    alpha: Any
    mask: Any
    if image.shape[2] == 4 and (image[:, :, 3] < 250).mean() > 0.01:
        rgb = np.ascontiguousarray(image[:, :, :3])
        alpha = image[:, :, 3]
        mask = (alpha > 127).astype(np.uint8)
    else:
        rgb = np.ascontiguousarray(image[:, :, :3])
        mask = _mask_from_background(rgb)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        alpha = None
    mask = _keep_main_parts(mask)
    height, width = mask.shape
    share = float(mask.mean())
    if share < MIN_PRODUCT_SHARE:
        raise _unusable("no product found in the image; it must stand out from its background")
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if share > 0.97 or (
        rows[0] == 0
        and cols[0] == 0
        and rows[-1] == height - 1
        and cols[-1] == width - 1
        and share > 0.8
    ):
        raise _unusable("the product fills the whole image; leave a plain margin around it")
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if alpha is None:
        # Soften the hard mask edge by one pixel so that the warped product does not look cut.
        alpha = cv2.GaussianBlur(mask.astype(np.float32) * 255.0, (3, 3), 0).astype(np.uint8)
    alpha = np.where(mask > 0, alpha, 0).astype(np.uint8)
    rgba = np.dstack([rgb[top:bottom, left:right], alpha[top:bottom, left:right]])
    scale = min(1.0, PRODUCT_SIDE / max(rgba.shape[:2]))
    if scale < 1.0:
        rgba = cv2.resize(
            rgba,
            (max(1, round(rgba.shape[1] * scale)), max(1, round(rgba.shape[0] * scale))),
            interpolation=cv2.INTER_AREA,
        )
    return np.ascontiguousarray(rgba)


def prepare_product(image_bytes: bytes, category: Category) -> PreparedProduct:
    """Decode, cut out and find the anchors of a product image for ``category``.

    >>> product = prepare_product(tshirt_png, Category.UPPER)  # doctest: +SKIP
    >>> sorted(product.keypoints)[:3]  # doctest: +SKIP
    ['armpit_left', 'armpit_right', 'hem_left']
    """
    rgba = cut_out(decode_image(image_bytes, "product image"))
    if category is Category.UPPER:
        from trustcart.tryon.garment import prepare_garment

        return prepare_garment(rgba)
    from trustcart.tryon.accessories import prepare_eyewear, prepare_headwear

    if category is Category.EYEWEAR:
        return prepare_eyewear(rgba)
    return prepare_headwear(rgba)
