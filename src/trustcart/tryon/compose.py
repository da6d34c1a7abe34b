"""Warping and compositing: thin-plate splines, similarity transforms, alpha-over with shading.

Layers are RGBA ``uint8`` arrays in product coordinates. Each is warped into a region of interest
(ROI) of the photo only, never the whole frame, so the cost follows the product's size on the
photo, not the photo's size. The thin-plate spline is solved for the inverse map (photo -> product),
evaluated on a grid every ``GRID_STEP`` pixels and interpolated: the spline is smooth, so a coarse
grid loses nothing visible and saves most of the work.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from trustcart.tryon.types import Box, Point

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Image = npt.NDArray[np.uint8]
    Floats = npt.NDArray[np.float32]

GRID_STEP = 8


def clip_box(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """Integer (x0, y0, x1, y1) of ``box`` inside the frame; empty when outside."""
    x0 = max(0, math.floor(box.left))
    y0 = max(0, math.floor(box.top))
    x1 = min(width, math.ceil(box.right))
    y1 = min(height, math.ceil(box.bottom))
    return x0, y0, max(x0, x1), max(y0, y1)


def bounding_box(points: list[Point], margin: float) -> Box:
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    return Box(min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin)


def _tps_kernel(r_squared: Any) -> Any:
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        value = r_squared * np.log(r_squared) * 0.5  # r^2 log r, written with r^2
    return np.nan_to_num(value)


def tps_warp(
    layer: Image,
    product_points: list[Point],
    photo_points: list[Point],
    roi: tuple[int, int, int, int],
    smoothing: float = 1.0,
) -> Image:
    """Warp ``layer`` so that each product point lands on its photo point, inside ``roi``.

    Returns an RGBA image of the ROI's size; pixels that map outside the layer are transparent.
    """
    import cv2
    import numpy as np

    x0, y0, x1, y1 = roi
    target = np.array([(p.x, p.y) for p in photo_points], np.float64)
    source = np.array([(p.x, p.y) for p in product_points], np.float64)
    count = len(target)
    kernel = _tps_kernel(((target[:, None, :] - target[None, :, :]) ** 2).sum(-1))
    affine = np.hstack([np.ones((count, 1)), target])
    system = np.zeros((count + 3, count + 3))
    system[:count, :count] = kernel + smoothing * np.eye(count)
    system[:count, count:] = affine
    system[count:, :count] = affine.T
    rhs = np.zeros((count + 3, 2))
    rhs[:count] = source
    weights = np.linalg.solve(system, rhs)

    grid_x = np.arange(x0, x1 + GRID_STEP, GRID_STEP, dtype=np.float64)
    grid_y = np.arange(y0, y1 + GRID_STEP, GRID_STEP, dtype=np.float64)
    gx, gy = np.meshgrid(grid_x, grid_y)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    k = _tps_kernel(((grid[:, None, :] - target[None, :, :]) ** 2).sum(-1))
    mapped = k @ weights[:count] + np.hstack([np.ones((len(grid), 1)), grid]) @ weights[count:]
    shape = (len(grid_y), len(grid_x))
    map_x = mapped[:, 0].reshape(shape).astype(np.float32)
    map_y = mapped[:, 1].reshape(shape).astype(np.float32)
    # The coarse grid spans a little more than the ROI; cut the resized map back to it.
    full = ((len(grid_x) - 1) * GRID_STEP + 1, (len(grid_y) - 1) * GRID_STEP + 1)
    map_x = cv2.resize(map_x, full, interpolation=cv2.INTER_LINEAR)[: y1 - y0, : x1 - x0]
    map_y = cv2.resize(map_y, full, interpolation=cv2.INTER_LINEAR)[: y1 - y0, : x1 - x0]
    warped: Any = cv2.remap(
        layer,
        map_x,
        map_y,
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0, 0),
    )
    return np.ascontiguousarray(warped, dtype=np.uint8)


def similarity(product_a: Point, product_b: Point, photo_a: Point, photo_b: Point) -> Any:
    """The 2x3 rotation+scale+shift taking product_a->photo_a and product_b->photo_b."""
    import numpy as np

    source = complex(product_b.x - product_a.x, product_b.y - product_a.y)
    target = complex(photo_b.x - photo_a.x, photo_b.y - photo_a.y)
    factor = target / source if source != 0 else complex(1, 0)
    shift = complex(photo_a.x, photo_a.y) - factor * complex(product_a.x, product_a.y)
    return np.array(
        [[factor.real, -factor.imag, shift.real], [factor.imag, factor.real, shift.imag]],
        np.float64,
    )


def rotation_about(pivot: Point, angle: float, scale: float, target: Point) -> Any:
    """2x3 matrix: rotate by ``angle`` (radians) and scale about ``pivot``, then move it to
    ``target``."""
    import numpy as np

    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    return np.array(
        [
            [c, -s, target.x - c * pivot.x + s * pivot.y],
            [s, c, target.y - s * pivot.x - c * pivot.y],
        ],
        np.float64,
    )


def affine_warp(layer: Image, matrix: Any, roi: tuple[int, int, int, int]) -> Image:
    """Warp ``layer`` by the 2x3 ``matrix`` (product -> photo) into the ROI."""
    import cv2
    import numpy as np

    x0, y0, x1, y1 = roi
    shifted = matrix.copy()
    shifted[:, 2] -= (x0, y0)
    warped: Any = cv2.warpAffine(
        layer,
        shifted,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0, 0),
    )
    return np.ascontiguousarray(warped)


def transform_point(matrix: Any, point: Point) -> Point:
    return Point(
        matrix[0, 0] * point.x + matrix[0, 1] * point.y + matrix[0, 2],
        matrix[1, 0] * point.x + matrix[1, 1] * point.y + matrix[1, 2],
    )


def blur_wide(values: Floats, sigma: float) -> Floats:
    """Gaussian blur with a large ``sigma``, done at low resolution (the result is smooth, so
    nothing is lost, and the cost no longer grows with sigma squared)."""
    import cv2
    import numpy as np

    height, width = values.shape[:2]
    factor = max(1.0, sigma / 3.0)
    small = cv2.resize(
        values,
        (max(1, round(width / factor)), max(1, round(height / factor))),
        interpolation=cv2.INTER_AREA,
    )
    small = cv2.GaussianBlur(small, (0, 0), max(0.8, sigma / factor))
    result: Any = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(result, dtype=np.float32)


def shading_of(photo_roi: Image, sigma: float) -> Floats:
    """Broad light and shadow of the photo, as a multiplier around 1 (folds, not print)."""
    import cv2
    import numpy as np

    luminance = cv2.cvtColor(photo_roi, cv2.COLOR_RGB2GRAY).astype(np.float32)
    smooth = blur_wide(luminance, sigma)
    reference = float(np.median(smooth)) or 1.0
    shading: Floats = np.clip(smooth / reference, 0.6, 1.25) ** 0.45
    return shading.astype(np.float32)


def alpha_over(
    photo: Image,
    layer: Image,
    roi: tuple[int, int, int, int],
    alpha: Floats | None = None,
    shading: Floats | None = None,
) -> None:
    """Draw ``layer`` (RGBA, ROI-sized) over ``photo`` in place; ``alpha`` overrides its own."""
    import numpy as np

    x0, y0, x1, y1 = roi
    if x1 <= x0 or y1 <= y0:
        return
    weight = alpha if alpha is not None else layer[:, :, 3].astype(np.float32) / 255.0
    colour = layer[:, :, :3].astype(np.float32)
    if shading is not None:
        colour = colour * shading[:, :, None]
    region = photo[y0:y1, x0:x1].astype(np.float32)
    blended = region + (colour - region) * weight[:, :, None]
    photo[y0:y1, x0:x1] = np.clip(blended, 0, 255).astype(np.uint8)


def drawn_box(layers: list[tuple[Any, tuple[int, int, int, int]]]) -> Box | None:
    """The box around every pixel drawn with alpha above 10 % (photo coordinates)."""
    import numpy as np

    found: list[Box] = []
    for weight, (x0, y0, _x1, _y1) in layers:
        rows = np.flatnonzero((weight > 0.1).any(axis=1))
        cols = np.flatnonzero((weight > 0.1).any(axis=0))
        if rows.size and cols.size:
            found.append(Box(x0 + cols[0], y0 + rows[0], x0 + cols[-1] + 1, y0 + rows[-1] + 1))
    if not found:
        return None
    return Box(
        min(b.left for b in found),
        min(b.top for b in found),
        max(b.right for b in found),
        max(b.bottom for b in found),
    )
