"""Person observations with OpenCV alone: the fallback when mediapipe is not installed.

A frontal-face Haar cascade finds faces (so a back view or a photo without a face is refused as
"no person": this analyser cannot tell the two apart). Eyes come from the eye cascade inside the
face, or from the face's proportions when it finds fewer than two. The body is estimated from the
face: across typical adult proportions the shoulders are about twice the face box's width apart
and sit about half a face below the chin; the hips are 1.4 shoulder widths lower. The person mask
is GrabCut seeded with that estimate, run at low resolution because it costs O(pixels).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from trustcart.tryon.person import Head, Observations, Pose, _full_mask
from trustcart.tryon.types import Box, Category, Point

if TYPE_CHECKING:
    from trustcart.tryon.person import Image

DETECT_SIDE = 400
MIN_FACE_WEIGHT = 2.0
MASK_SIDE = 160
SHOULDERS_PER_FACE = 2.0
SHOULDER_DROP_PER_FACE = 0.5
HIPS_PER_SHOULDERS = 1.4


def _cascade(name: str) -> Any:
    import cv2

    classifier = cv2.CascadeClassifier(str(cv2.data.haarcascades) + name)  # type: ignore[attr-defined]
    if classifier.empty():
        # opencv-python 5.x ships no cascades; the extra pins 4.x.
        raise RuntimeError(f"OpenCV has no {name}; install opencv-python-headless 4.x")
    return classifier


class OpenCVAnalyzer:
    name = "opencv"

    def __init__(self) -> None:
        self._faces = _cascade("haarcascade_frontalface_default.xml")
        self._eyes = _cascade("haarcascade_eye.xml")

    def observe(self, image: Image, category: Category) -> Observations:
        import cv2

        height, width = image.shape[:2]
        scale = min(1.0, DETECT_SIDE / max(height, width))
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        small = cv2.equalizeHist(
            cv2.resize(
                gray, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
            )
        )
        found, _levels, weights = self._faces.detectMultiScale3(
            small, scaleFactor=1.1, minNeighbors=8, minSize=(20, 20), outputRejectLevels=True
        )
        # The cascade's confidence separates faces from face-like patches (badges, helmets).
        faces = tuple(
            Box(x / scale, y / scale, (x + w) / scale, (y + h) / scale)
            for (x, y, w, h), weight in zip(found, weights, strict=True)
            if float(weight) >= MIN_FACE_WEIGHT
        )
        if not faces:
            return Observations(width, height, (), None, None, None, self.name)
        face = max(faces, key=lambda box: box.width)
        head = self._head(gray, face)
        pose = self._pose(face)
        mask = self._mask(image, face, pose) if category is Category.UPPER else None
        return Observations(width, height, faces, pose, head, mask, self.name)

    def _head(self, gray: Any, face: Box) -> Head:
        import cv2

        left, top = round(face.left), round(face.top)
        upper = gray[top : top + round(face.height * 0.6), left : round(face.right)]
        side = max(8, round(face.width / 8))
        found = self._eyes.detectMultiScale(
            cv2.equalizeHist(upper), scaleFactor=1.1, minNeighbors=4, minSize=(side, side)
        )
        centres = sorted(
            (Point(left + x + w / 2, top + y + h / 2) for (x, y, w, h) in found), key=lambda p: p.x
        )
        middle = face.center.x
        left_eyes = [p for p in centres if p.x < middle]
        right_eyes = [p for p in centres if p.x >= middle]
        if left_eyes and right_eyes:
            eyes = (left_eyes[-1], right_eyes[0])
        else:  # proportions of the Haar face box
            eye_y = face.top + 0.38 * face.height
            eyes = (
                Point(face.left + 0.3 * face.width, eye_y),
                Point(face.left + 0.7 * face.width, eye_y),
            )
        return Head(
            eyes=eyes,
            forehead=Point(face.center.x, face.top + 0.02 * face.height),
            chin=Point(face.center.x, face.bottom),
            face_width=face.width * 0.9,
        )

    def _pose(self, face: Box) -> Pose:
        half = face.width * SHOULDERS_PER_FACE / 2
        shoulder_y = face.bottom + SHOULDER_DROP_PER_FACE * face.height
        hip_y = shoulder_y + HIPS_PER_SHOULDERS * 2 * half
        centre = face.center.x
        return Pose(
            shoulders=(Point(centre - half, shoulder_y), Point(centre + half, shoulder_y)),
            hips=(Point(centre - half * 0.85, hip_y), Point(centre + half * 0.85, hip_y)),
            elbows=(None, None),
            wrists=(None, None),
            nose_visibility=1.0,
            facing_camera=True,
        )

    def _mask(self, image: Image, face: Box, pose: Pose) -> Any:
        import cv2
        import numpy as np

        height, width = image.shape[:2]
        scale = min(1.0, MASK_SIDE / max(height, width))
        small = cv2.resize(
            image,
            (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
        seeds = np.full(small.shape[:2], cv2.GC_PR_BGD, np.uint8)
        (left_shoulder, right_shoulder) = pose.shoulders
        spread = right_shoulder.x - left_shoulder.x

        def fill(left: float, top: float, right: float, bottom: float, value: int) -> None:
            x0, y0 = max(0, round(left * scale)), max(0, round(top * scale))
            x1, y1 = round(right * scale), round(bottom * scale)
            seeds[y0 : max(y0, y1), x0 : max(x0, x1)] = value

        fill(
            left_shoulder.x - 0.2 * spread,
            face.top - 0.2 * face.height,
            right_shoulder.x + 0.2 * spread,
            height,
            cv2.GC_PR_FGD,
        )
        fill(
            face.left + 0.2 * face.width,
            face.top + 0.2 * face.height,
            face.right - 0.2 * face.width,
            face.bottom - 0.1 * face.height,
            cv2.GC_FGD,
        )
        torso_top = left_shoulder.y + 0.15 * spread
        fill(
            face.center.x - 0.25 * spread,
            torso_top,
            face.center.x + 0.25 * spread,
            torso_top + 0.6 * spread,
            cv2.GC_FGD,
        )
        background = np.zeros((1, 65), np.float64)
        foreground = np.zeros((1, 65), np.float64)
        # A degenerate seed (no background left) makes GrabCut raise: keep the estimate then.
        with contextlib.suppress(cv2.error):
            cv2.grabCut(
                small, seeds, (0, 0, 0, 0), background, foreground, 2, cv2.GC_INIT_WITH_MASK
            )
        person = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
        return _full_mask(cv2.GaussianBlur(person, (3, 3), 0), width, height)
