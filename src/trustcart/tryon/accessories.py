"""Eyewear and headwear: two anchors on the product, two on the face, one similarity transform.

Glasses are seen from the front: their lens centres are the centroids of the two halves of the
frame's main band (the rows where the frame is widest, which leaves the thin temples out). They
are placed so that the lens centres sit on the iris centres, turned with the line of the eyes.
A hat's anchors are the two ends of its lower edge (the opening); it is scaled to a little more
than the head's width and its lower edge sits on the top of the forehead, turned with the eyes.
Accessories lie in front of everything in the photo, so there is no occlusion to compute.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from trustcart.tryon.compose import (
    affine_warp,
    alpha_over,
    bounding_box,
    clip_box,
    drawn_box,
    similarity,
    transform_point,
)
from trustcart.tryon.errors import ProductImageError, TryOnProblem
from trustcart.tryon.product import PreparedProduct
from trustcart.tryon.types import Box, Category, Point

if TYPE_CHECKING:
    from trustcart.tryon.images import Image
    from trustcart.tryon.person import PersonAnalysis

MIN_EYEWEAR_ASPECT = 1.6
HAT_WIDTH_PER_FACE = 1.45  # a hat's opening spans the hair, wider than cheek to cheek
HAT_DOWN_PER_FACE = 0.12  # how far below the top of the forehead its lower edge sits


def _unusable(message: str) -> ProductImageError:
    return ProductImageError(TryOnProblem.PRODUCT_UNUSABLE, message)


def _filled(alpha: Any) -> Any:
    import cv2
    import numpy as np

    mask = (alpha > 127).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, (1,), thickness=cv2.FILLED)
    return filled


def eyewear_keypoints(alpha: Any) -> dict[str, Point]:
    """Lens centres (``lens_left``, ``lens_right``) of front-view glasses."""
    import numpy as np

    filled = _filled(alpha)
    height, width = filled.shape
    if width < MIN_EYEWEAR_ASPECT * height:
        raise _unusable("eyewear must be shown from the front, wider than tall")
    counts = filled.sum(axis=1)
    band = counts >= 0.5 * counts.max()
    centres = []
    for part in (slice(0, width // 2), slice(width // 2, width)):
        ys, xs = np.nonzero(filled[:, part] * band[:, None])
        if xs.size < 16:
            raise _unusable("eyewear must show two lenses side by side")
        centres.append(Point(float(xs.mean()) + (part.start or 0), float(ys.mean())))
    return {"lens_left": centres[0], "lens_right": centres[1]}


def headwear_keypoints(alpha: Any) -> dict[str, Point]:
    """Ends of the hat's lower edge (``brim_left``, ``brim_right``) and the ``crown`` top."""
    import numpy as np

    filled = _filled(alpha)
    height, width = filled.shape
    if not 0.5 <= width / height <= 4.0:
        raise _unusable("headwear must be shown from the front, about as wide as tall or wider")
    rows = np.flatnonzero(filled.any(axis=1))
    bottom = int(rows[-1])
    band = filled[max(0, bottom - max(2, round(0.08 * height))) : bottom + 1]
    columns = np.flatnonzero(band.any(axis=0))
    if columns.size < 0.8 * (columns[-1] - columns[0] + 1) or columns.size < 0.4 * width:
        # A hat's lower edge is one continuous band across most of it.
        raise _unusable("headwear must be shown from the front with its lower edge visible")
    top_columns = np.flatnonzero(filled[rows[0]])
    return {
        "brim_left": Point(float(columns[0]), float(bottom)),
        "brim_right": Point(float(columns[-1]), float(bottom)),
        "crown": Point(float(top_columns.mean()), float(rows[0])),
    }


def prepare_eyewear(rgba: Image) -> PreparedProduct:
    return PreparedProduct(Category.EYEWEAR, rgba, eyewear_keypoints(rgba[:, :, 3]))


def prepare_headwear(rgba: Image) -> PreparedProduct:
    return PreparedProduct(Category.HEADWEAR, rgba, headwear_keypoints(rgba[:, :, 3]))


def _draw(photo: Image, layer: Image, matrix: Any) -> Box | None:
    height, width = photo.shape[:2]
    corners = [
        transform_point(matrix, Point(x, y))
        for x, y in (
            (0, 0),
            (layer.shape[1], 0),
            (0, layer.shape[0]),
            (layer.shape[1], layer.shape[0]),
        )
    ]
    roi = clip_box(bounding_box(corners, 2), width, height)
    if roi[2] <= roi[0] or roi[3] <= roi[1]:
        return None
    warped = affine_warp(layer, matrix, roi)
    weight = warped[:, :, 3].astype("float32") / 255.0
    alpha_over(photo, warped, roi, weight)
    return drawn_box([(weight, roi)])


def render_eyewear(photo: Image, person: PersonAnalysis, product: PreparedProduct) -> Box | None:
    """Draw glasses with their lens centres on the irises; return the drawn box."""
    assert person.head is not None  # judge_person guarantees it for eyewear
    eye_left, eye_right = person.head.eyes
    matrix = similarity(
        product.keypoints["lens_left"], product.keypoints["lens_right"], eye_left, eye_right
    )
    return _draw(photo, product.rgba, matrix)


def render_headwear(photo: Image, person: PersonAnalysis, product: PreparedProduct) -> Box | None:
    """Draw a hat whose lower edge sits on the top of the forehead; return the drawn box."""
    assert person.head is not None  # judge_person guarantees it for headwear
    head = person.head
    eye_left, eye_right = head.eyes
    length = math.hypot(eye_right.x - eye_left.x, eye_right.y - eye_left.y) or 1.0
    ux, uy = (eye_right.x - eye_left.x) / length, (eye_right.y - eye_left.y) / length
    vx, vy = -uy, ux
    face_height = math.hypot(head.chin.x - head.forehead.x, head.chin.y - head.forehead.y)
    down = HAT_DOWN_PER_FACE * face_height
    anchor = Point(head.forehead.x + vx * down, head.forehead.y + vy * down)
    half = HAT_WIDTH_PER_FACE * head.face_width / 2
    matrix = similarity(
        product.keypoints["brim_left"],
        product.keypoints["brim_right"],
        Point(anchor.x - ux * half, anchor.y - uy * half),
        Point(anchor.x + ux * half, anchor.y + uy * half),
    )
    return _draw(photo, product.rgba, matrix)
