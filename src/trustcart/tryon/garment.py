"""Upper-body garments: anchors from the cut-out's outline, and the warp onto the torso.

Anchors come from the silhouette of a garment laid flat and seen from the front. The hem's
extent gives the torso columns; rows that reach beyond them above the hem are sleeves, and the
lowest such row is the armpit. The top edge gives the collar (its dip at the centre) and the
shoulder corners (where the torso columns meet the top edge).

Drawing uses three layers: two sleeves, each turned about its shoulder corner to follow the upper
arm (shoulder -> elbow), then the torso, warped by a thin-plate spline. The collar, shoulders and
armpits keep the garment's own proportions (a similarity that puts its shoulder corners on the
person's), and the hem is pulled down to the hips. The person mask clips the result to the body,
the face box and forearms lying over the torso stay in front of it, and the photo's broad shading
is laid over the colours so that the garment takes the light of the scene.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from trustcart.tryon.compose import (
    affine_warp,
    alpha_over,
    blur_wide,
    bounding_box,
    clip_box,
    drawn_box,
    rotation_about,
    shading_of,
    similarity,
    tps_warp,
    transform_point,
)
from trustcart.tryon.errors import ProductImageError, TryOnProblem
from trustcart.tryon.product import PreparedProduct
from trustcart.tryon.types import Box, Category, Point

if TYPE_CHECKING:
    from trustcart.tryon.images import Image
    from trustcart.tryon.person import PersonAnalysis

# Where the garment's shoulder corners go, in shoulder widths from the shoulder joints' midpoint:
# outward along the shoulder line and up towards the top of the shoulder.
SHOULDER_OUT = 0.58
SHOULDER_UP = 0.08
HEM_BELOW_HIPS = 0.12
DEFAULT_TORSO = 1.45  # shoulder line to hips, in shoulder widths, when the hips are not seen
MAX_SLEEVE_TURN = math.radians(70)
SLEEVE_REACH = 0.9  # sleeves reach at most this far (shoulder widths) past the torso
SHADING_BLUR = 0.08  # in shoulder widths: keeps broad light, drops the old clothes' print


def _unusable(message: str) -> ProductImageError:
    return ProductImageError(TryOnProblem.PRODUCT_UNUSABLE, message)


def garment_keypoints(alpha: Any) -> dict[str, Point]:
    """Named anchors of a front-view garment silhouette (alpha > 127 is garment)."""
    import cv2
    import numpy as np

    mask = (alpha > 127).astype(np.uint8)
    # Fill holes (a print the cut-out missed) so that every profile sees the outline only.
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, (1,), thickness=cv2.FILLED)
    height, width = filled.shape
    rows = filled.any(axis=1)
    if rows.sum() < 16:
        raise _unusable("the garment is too small in its image")
    left = np.where(rows, filled.argmax(axis=1), width)
    right = np.where(rows, width - 1 - filled[:, ::-1].argmax(axis=1), -1)
    hem_y = int(np.flatnonzero(rows)[-1])
    band = [y for y in range(int(hem_y - 0.12 * height), hem_y + 1) if rows[y]]
    torso_left = float(np.median(left[band]))
    torso_right = float(np.median(right[band]))
    torso_width = torso_right - torso_left
    if torso_width < 0.3 * width or hem_y < 0.5 * torso_width:
        raise _unusable("the image does not look like an upper-body garment seen from the front")
    columns = filled.any(axis=0)
    top = np.where(columns, filled.argmax(axis=0), height)

    def top_at(x: float) -> float:
        column = min(width - 1, max(0, round(x)))
        return float(top[column])

    reach = 0.05 * torso_width
    upper = np.arange(height) < hem_y - 0.2 * (hem_y - top_at(torso_left))
    sleeve_left = np.flatnonzero(upper & rows & (left < torso_left - reach))
    sleeve_right = np.flatnonzero(upper & rows & (right > torso_right + reach))
    # A garment's body is about as wide halfway down as at the hem (a disc or a bag is not).
    armpits = [float(found[-1]) for found in (sleeve_left, sleeve_right) if found.size]
    middle_row = round((max(armpits, default=top_at(torso_left)) + hem_y) / 2)
    middle_width = float(right[middle_row] - left[middle_row]) if rows[middle_row] else 0.0
    # ... and its sleeves (if any) end in the upper part of it.
    collar_to_hem = hem_y - top_at(torso_left)
    sleeves_low = max(armpits, default=0.0) > top_at(torso_left) + 0.65 * collar_to_hem
    if sleeves_low or not 0.75 * torso_width <= middle_width <= 1.2 * torso_width:
        raise _unusable("the image does not look like an upper-body garment seen from the front")
    inset = 0.03 * torso_width
    shoulder_left = Point(torso_left, top_at(torso_left + inset))
    shoulder_right = Point(torso_right, top_at(torso_right - inset))
    default_armpit = max(shoulder_left.y, shoulder_right.y) + 0.35 * torso_width
    centre = (torso_left + torso_right) / 2
    neck_half = 0.18 * torso_width
    return {
        "shoulder_left": shoulder_left,
        "shoulder_right": shoulder_right,
        "neck_left": Point(centre - neck_half, top_at(centre - neck_half)),
        "neck_right": Point(centre + neck_half, top_at(centre + neck_half)),
        "neck_front": Point(centre, top_at(centre)),
        "armpit_left": Point(
            torso_left, float(sleeve_left[-1]) if sleeve_left.size else default_armpit
        ),
        "armpit_right": Point(
            torso_right, float(sleeve_right[-1]) if sleeve_right.size else default_armpit
        ),
        "hem_left": Point(torso_left, float(hem_y)),
        "hem_centre": Point(centre, float(hem_y)),
        "hem_right": Point(torso_right, float(hem_y)),
    }


def prepare_garment(rgba: Image) -> PreparedProduct:
    """Anchors plus three layers (torso, sleeve_left, sleeve_right) of a garment cut-out."""
    import cv2
    import numpy as np

    # A garment is opaque: a region enclosed by it that matched the background colour (a white
    # stripe on a product shot on white) is part of the garment, not a hole.
    rgba = rgba.copy()
    contours, _ = cv2.findContours(
        (rgba[:, :, 3] > 127).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    filled = np.zeros(rgba.shape[:2], np.uint8)
    cv2.drawContours(filled, contours, -1, (255,), thickness=cv2.FILLED)
    inside = cv2.erode(filled, np.ones((3, 3), np.uint8))
    rgba[:, :, 3] = np.maximum(rgba[:, :, 3], inside)
    points = garment_keypoints(rgba[:, :, 3])
    height, width = rgba.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    torso_width = points["shoulder_right"].x - points["shoulder_left"].x
    overlap = 0.04 * torso_width
    in_left = (xs < points["shoulder_left"].x + overlap) & (ys <= points["armpit_left"].y)
    in_right = (xs > points["shoulder_right"].x - overlap) & (ys <= points["armpit_right"].y)
    outside_left = (xs < points["shoulder_left"].x) & (ys <= points["armpit_left"].y)
    outside_right = (xs > points["shoulder_right"].x) & (ys <= points["armpit_right"].y)

    def layer(keep: Any) -> Image:
        part = rgba.copy()
        part[:, :, 3] = np.where(keep, part[:, :, 3], 0)
        return part

    layers = {"torso": layer(~(outside_left | outside_right))}
    for side, region in (("left", in_left), ("right", in_right)):
        sleeve = layer(region)
        if (sleeve[:, :, 3] > 127).sum() > 0.01 * height * width:
            layers[f"sleeve_{side}"] = sleeve
            ys_on, xs_on = np.nonzero((sleeve[:, :, 3] > 127) & (outside_left | outside_right))
            if xs_on.size:
                points[f"sleeve_{side}_centre"] = Point(float(xs_on.mean()), float(ys_on.mean()))
    return PreparedProduct(Category.UPPER, rgba, points, layers)


def _unit(dx: float, dy: float) -> tuple[float, float]:
    length = math.hypot(dx, dy) or 1.0
    return dx / length, dy / length


def _torso_targets(
    person: PersonAnalysis, points: dict[str, Point]
) -> tuple[Any, list[Point], list[Point]]:
    """The similarity (garment -> photo) of the upper body, and the spline's point pairs."""
    pose = person.pose
    assert pose is not None  # judge_person guarantees it for garments
    joint_left, joint_right = pose.shoulders
    span = pose.shoulder_width
    ux, uy = _unit(joint_right.x - joint_left.x, joint_right.y - joint_left.y)
    vx, vy = -uy, ux  # down the body
    middle = Point((joint_left.x + joint_right.x) / 2, (joint_left.y + joint_right.y) / 2)

    def at(along: float, down: float) -> Point:
        return Point(
            middle.x + (ux * along + vx * down) * span, middle.y + (uy * along + vy * down) * span
        )

    to_photo = similarity(
        points["shoulder_left"],
        points["shoulder_right"],
        at(-SHOULDER_OUT, -SHOULDER_UP),
        at(SHOULDER_OUT, -SHOULDER_UP),
    )
    scale = math.hypot(to_photo[0, 0], to_photo[1, 0])
    hips = Point((pose.hips[0].x + pose.hips[1].x) / 2, (pose.hips[0].y + pose.hips[1].y) / 2)
    torso = ((hips.x - middle.x) * vx + (hips.y - middle.y) * vy) / span
    torso = torso if 0.9 <= torso <= 2.4 else DEFAULT_TORSO
    hem_half = (points["hem_right"].x - points["hem_left"].x) * scale / span / 2

    names = [
        "shoulder_left",
        "shoulder_right",
        "neck_left",
        "neck_right",
        "neck_front",
        "armpit_left",
        "armpit_right",
    ]
    product_points = [points[name] for name in names]
    photo_points = [transform_point(to_photo, points[name]) for name in names]
    for name, along in (("hem_left", -hem_half), ("hem_centre", 0.0), ("hem_right", hem_half)):
        product_points.append(points[name])
        photo_points.append(at(along, torso + HEM_BELOW_HIPS))
    return to_photo, product_points, photo_points


def _sleeve_matrix(
    to_photo: Any, pivot: Point, centre: Point, joint: Point, elbow: Point | None
) -> Any:
    """Turn the sleeve about its shoulder corner so that it follows shoulder -> elbow."""
    scale = math.hypot(to_photo[0, 0], to_photo[1, 0])
    sleeve_angle = math.atan2(centre.y - pivot.y, centre.x - pivot.x)
    base = math.atan2(to_photo[1, 0], to_photo[0, 0])  # the torso's own turn
    turn = 0.0
    if elbow is not None:
        arm_angle = math.atan2(elbow.y - joint.y, elbow.x - joint.x)
        turn = math.remainder(arm_angle - sleeve_angle - base, math.tau)
        turn = max(-MAX_SLEEVE_TURN, min(MAX_SLEEVE_TURN, turn))
    return rotation_about(pivot, base + turn, scale, transform_point(to_photo, pivot))


def render_garment(photo: Image, person: PersonAnalysis, product: PreparedProduct) -> Box | None:
    """Draw the garment on ``photo`` in place; return the box of what was drawn."""
    import cv2
    import numpy as np

    pose = person.pose
    assert pose is not None  # judge_person guarantees pose and mask for garments
    assert person.mask is not None
    height, width = photo.shape[:2]
    points = product.keypoints
    span = pose.shoulder_width
    to_photo, product_points, photo_points = _torso_targets(person, points)

    # Everything below happens inside one region around the torso and arms, never the frame.
    area = clip_box(bounding_box(photo_points, SLEEVE_REACH * span), width, height)
    ax0, ay0, ax1, ay1 = area
    if ax1 <= ax0 or ay1 <= ay0:
        return None
    # Occluders: the person mask (grown a little, the garment is looser than the body), the face,
    # and forearms that lie across the torso.
    body = (person.mask[ay0:ay1, ax0:ax1] > 0.35).astype(np.float32)
    body_weight = np.clip(blur_wide(body, 0.04 * span) * 2.0, 0.0, 1.0)
    shading = shading_of(photo[ay0:ay1, ax0:ax1], SHADING_BLUR * span)
    face_block = np.zeros((ay1 - ay0, ax1 - ax0), np.float32)
    if person.face is not None:
        face = person.face
        fx0, fy0, fx1, fy1 = clip_box(
            Box(
                face.left - ax0,
                face.top - ay0,
                face.right - ax0,
                face.bottom - 0.04 * face.height - ay0,
            ),
            ax1 - ax0,
            ay1 - ay0,
        )
        face_block[fy0:fy1, fx0:fx1] = 1.0
    in_front = face_block.copy()
    for elbow, wrist in zip(pose.elbows, pose.wrists, strict=True):
        if elbow is not None and wrist is not None:
            cv2.line(
                in_front,
                (round(elbow.x - ax0), round(elbow.y - ay0)),
                (round(wrist.x - ax0), round(wrist.y - ay0)),
                (1.0,),
                thickness=max(2, round(0.22 * span)),
            )

    def inside(roi: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return (max(roi[0], ax0), max(roi[1], ay0), min(roi[2], ax1), min(roi[3], ay1))

    def draw(layer: Image, roi: tuple[int, int, int, int], blocked: Any) -> None:
        x0, y0, x1, y1 = roi
        local = (slice(y0 - ay0, y1 - ay0), slice(x0 - ax0, x1 - ax0))
        weight = layer[:, :, 3].astype(np.float32) / 255.0 * body_weight[local]
        weight *= 1.0 - blocked[local]
        alpha_over(photo, layer, roi, weight, shading[local])
        drawn.append((weight, roi))

    drawn: list[tuple[Any, tuple[int, int, int, int]]] = []
    for side, joint, elbow in (
        ("left", pose.shoulders[0], pose.elbows[0]),
        ("right", pose.shoulders[1], pose.elbows[1]),
    ):
        sleeve = product.layers.get(f"sleeve_{side}")
        centre = points.get(f"sleeve_{side}_centre")
        if sleeve is None or centre is None:
            continue
        matrix = _sleeve_matrix(to_photo, points[f"shoulder_{side}"], centre, joint, elbow)
        corners = [
            transform_point(matrix, Point(x, y))
            for x, y in (
                (0, 0),
                (sleeve.shape[1], 0),
                (0, sleeve.shape[0]),
                (sleeve.shape[1], sleeve.shape[0]),
            )
        ]
        roi = inside(clip_box(bounding_box(corners, 2), width, height))
        if roi[2] > roi[0] and roi[3] > roi[1]:
            draw(affine_warp(sleeve, matrix, roi), roi, face_block)

    roi = inside(clip_box(bounding_box(photo_points, 0.12 * span), width, height))
    if roi[2] > roi[0] and roi[3] > roi[1]:
        draw(tps_warp(product.layers["torso"], product_points, photo_points, roi), roi, in_front)
    return drawn_box(drawn)
