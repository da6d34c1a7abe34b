"""Person analysis: where the face, eyes, shoulders and hips are, and which pixels are the person.

Two analysers produce the same ``Observations``:

* ``MediapipeAnalyzer`` uses the models that ship inside the mediapipe 0.10.14-0.10.21 wheels
  (pose with ``model_complexity=1`` and a person mask, face detection, face mesh with irises);
  nothing is downloaded, and complexities 0 and 2 are never asked for because they would try to.
* ``OpenCVAnalyzer`` needs only OpenCV's bundled Haar cascades: a frontal face, eyes inside it,
  shoulders and hips estimated from the face's size, and a GrabCut person mask at low resolution.

``judge_person`` is the pure rule that turns observations into a usable ``PersonAnalysis`` or a
``PhotoError`` with a code the shopper can act on; it is tested on hand-made observations, so the
rules do not depend on what a detector happens to find in one photo.

Analysis runs on a copy scaled to at most ``ANALYSIS_SIDE`` pixels: detectors gain nothing from
more, and it keeps a 2048 px photo as fast as a 512 px one. Coordinates are scaled back.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from trustcart.tryon.errors import PhotoError, TryOnProblem
from trustcart.tryon.types import Box, Category, Point

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Image = npt.NDArray[np.uint8]
    Mask = npt.NDArray[np.float32]

ANALYSIS_SIDE = 640
# A face narrower than this share of the widest face is background, not a second shopper.
SECOND_FACE_RATIO = 0.45
MIN_FACE_PX = 36
MIN_SHOULDER_PX = 56
VISIBLE = 0.5
FORCE_FALLBACK_ENV = "TRUSTCART_TRYON_ANALYZER"


@dataclass(frozen=True)
class Pose:
    """Body keypoints in image terms: ``left``/``right`` are the image's, not the person's.

    ``facing_camera`` is false when the person's own left shoulder is on the image's left,
    which is what a back view looks like.
    """

    shoulders: tuple[Point, Point]
    hips: tuple[Point, Point]
    elbows: tuple[Point | None, Point | None]
    wrists: tuple[Point | None, Point | None]
    nose_visibility: float
    facing_camera: bool

    @property
    def shoulder_width(self) -> float:
        a, b = self.shoulders
        return math.hypot(b.x - a.x, b.y - a.y)


@dataclass(frozen=True)
class Head:
    eyes: tuple[Point, Point]  # iris centres, image-left first
    forehead: Point  # top of the forehead on the face's midline
    chin: Point
    face_width: float


@dataclass(frozen=True, eq=False)
class Observations:
    width: int
    height: int
    faces: tuple[Box, ...]
    pose: Pose | None
    head: Head | None
    mask: Mask | None
    source: str


@dataclass(frozen=True, eq=False)
class PersonAnalysis:
    """A photo judged usable for one category; fields needed by that category are set."""

    width: int
    height: int
    category: Category
    face: Box | None
    pose: Pose | None
    head: Head | None
    mask: Mask | None
    source: str


def _main_faces(faces: tuple[Box, ...]) -> list[Box]:
    if not faces:
        return []
    widest = max(face.width for face in faces)
    return [face for face in faces if face.width >= SECOND_FACE_RATIO * widest]


def judge_person(observed: Observations, category: Category) -> PersonAnalysis:
    """Decide whether the photo can be used for ``category``; raise ``PhotoError`` if not."""
    faces = _main_faces(observed.faces)
    pose = observed.pose
    if len(faces) > 1:
        raise PhotoError(
            TryOnProblem.SEVERAL_PEOPLE,
            f"{len(faces)} people are in the photo; use a photo of one person",
        )
    body_seen = pose is not None and pose.shoulder_width >= MIN_SHOULDER_PX
    if (
        not faces
        and body_seen
        and pose is not None
        and (not pose.facing_camera or pose.nose_visibility < VISIBLE)
    ):
        raise PhotoError(
            TryOnProblem.SEEN_FROM_BEHIND,
            "the person is seen from behind; use a photo taken facing the camera",
        )
    face = faces[0] if faces else None
    if category is Category.UPPER:
        if pose is None:
            raise PhotoError(
                TryOnProblem.NO_PERSON,
                "no upper body found; use a photo showing the head and both shoulders",
            )
        if pose.shoulder_width < MIN_SHOULDER_PX:
            raise PhotoError(
                TryOnProblem.PERSON_TOO_SMALL,
                f"the shoulders are {pose.shoulder_width:.0f} px apart; at least "
                f"{MIN_SHOULDER_PX} px are needed, so take the photo closer",
            )
        if observed.mask is None:
            raise PhotoError(TryOnProblem.NO_PERSON, "the person could not be separated")
    else:
        if face is None:
            raise PhotoError(TryOnProblem.NO_PERSON, "no face found; use a photo facing the camera")
        if face.width < MIN_FACE_PX:
            raise PhotoError(
                TryOnProblem.PERSON_TOO_SMALL,
                f"the face is {face.width:.0f} px wide; at least {MIN_FACE_PX} px are needed",
            )
        if observed.head is None:
            raise PhotoError(TryOnProblem.NO_PERSON, "the eyes could not be located")
    return PersonAnalysis(
        width=observed.width,
        height=observed.height,
        category=category,
        face=face,
        pose=pose,
        head=observed.head,
        mask=observed.mask,
        source=observed.source,
    )


class PersonAnalyzer(Protocol):
    name: str

    def observe(self, image: Image, category: Category) -> Observations: ...


def analyze_person(
    image: Image, category: Category, analyzer: PersonAnalyzer | None = None
) -> PersonAnalysis:
    """Observe and judge in one call.

    >>> analysis = analyze_person(photo, Category.EYEWEAR)  # doctest: +SKIP
    >>> analysis.head.eyes  # doctest: +SKIP
    (Point(x=203.1, y=101.4), Point(x=247.0, y=103.2))
    """
    chosen = analyzer if analyzer is not None else default_analyzer()
    return judge_person(chosen.observe(image, category), category)


def _shrink(image: Image) -> tuple[Image, float]:
    """A copy whose longest side is at most ``ANALYSIS_SIDE``, and the factor back to full size."""
    import cv2

    height, width = image.shape[:2]
    scale = min(1.0, ANALYSIS_SIDE / max(height, width))
    if scale == 1.0:
        return image, 1.0
    import numpy as np

    small = cv2.resize(
        image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
    )
    return np.asarray(small, dtype=np.uint8), 1.0 / scale


def _full_mask(mask: Any, width: int, height: int) -> Mask:
    import cv2
    import numpy as np

    resized = cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(np.clip(resized, 0.0, 1.0), dtype=np.float32)


_shared: dict[str, PersonAnalyzer] = {}
_shared_lock = threading.Lock()


def mediapipe_installed() -> bool:
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        return False
    return True


def default_analyzer() -> PersonAnalyzer:
    """The mediapipe analyser when mediapipe is installed, else the OpenCV one.

    ``TRUSTCART_TRYON_ANALYZER=opencv`` forces the fallback (tests, and machines where
    mediapipe is installed but misbehaves).
    """
    wanted = os.environ.get(FORCE_FALLBACK_ENV, "").strip().lower()
    name = "opencv" if wanted == "opencv" or not mediapipe_installed() else "mediapipe"
    with _shared_lock:
        if name not in _shared:
            if name == "mediapipe":
                from trustcart.tryon.person_mediapipe import MediapipeAnalyzer

                _shared[name] = MediapipeAnalyzer()
            else:
                from trustcart.tryon.person_opencv import OpenCVAnalyzer

                _shared[name] = OpenCVAnalyzer()
        return _shared[name]
