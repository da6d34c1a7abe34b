"""Person observations from the models inside the mediapipe wheel (legacy ``mp.solutions`` API).

Only ``model_complexity=1`` is used for pose: it is the one model the 0.10.14-0.10.21 wheels
carry, and the other complexities try to download theirs. The solution graphs are not safe to
share between threads, so one lock serialises each analyser (a few milliseconds per photo).
"""

from __future__ import annotations

import math
import os
import threading
from typing import TYPE_CHECKING, Any

from trustcart.tryon.person import (
    Head,
    Observations,
    Pose,
    _full_mask,
    _shrink,
)
from trustcart.tryon.types import Box, Category, Point

if TYPE_CHECKING:
    from trustcart.tryon.person import Image

# Pose landmark indices (the person's own left/right).
NOSE, LEFT_SHOULDER, RIGHT_SHOULDER = 0, 11, 12
LEFT_ELBOW, RIGHT_ELBOW, LEFT_WRIST, RIGHT_WRIST = 13, 14, 15, 16
LEFT_HIP, RIGHT_HIP = 23, 24
# Face mesh indices (refined landmarks): iris centres, forehead top, chin, cheek sides.
IRISES, FOREHEAD, CHIN, CHEEKS = (468, 473), 10, 152, (234, 454)
FACE_SCORE = 0.6
LIMB_VISIBLE = 0.5


class MediapipeAnalyzer:
    name = "mediapipe"

    def __init__(self) -> None:
        # mediapipe's C++ side logs set-up chatter to stderr; keep warnings and errors only.
        os.environ.setdefault("GLOG_minloglevel", "2")
        import mediapipe as mp

        solutions: Any = mp.solutions
        self._lock = threading.Lock()
        self._pose = solutions.pose.Pose(
            static_image_mode=True, model_complexity=1, enable_segmentation=True
        )
        # Full-range detector: it also sees people a few metres behind the shopper.
        self._faces = solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=FACE_SCORE
        )
        self._mesh = solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, refine_landmarks=True
        )

    def observe(self, image: Image, category: Category) -> Observations:
        height, width = image.shape[:2]
        small, back = _shrink(image)
        small_h, small_w = small.shape[:2]

        def point(landmark: Any) -> Point:
            return Point(landmark.x * small_w * back, landmark.y * small_h * back)

        with self._lock:
            detected = self._faces.process(small).detections or []
            pose_result = self._pose.process(small) if category is Category.UPPER else None
            mesh_result = self._mesh.process(small) if category is not Category.UPPER else None

        faces = []
        for detection in detected:
            box = detection.location_data.relative_bounding_box
            left, top = max(0.0, box.xmin) * small_w * back, max(0.0, box.ymin) * small_h * back
            faces.append(
                Box(left, top, left + box.width * small_w * back, top + box.height * small_h * back)
            )

        pose = None
        mask = None
        if pose_result is not None and pose_result.pose_landmarks is not None:
            marks = pose_result.pose_landmarks.landmark

            def limb(index: int) -> Point | None:
                return point(marks[index]) if marks[index].visibility >= LIMB_VISIBLE else None

            person_left, person_right = point(marks[LEFT_SHOULDER]), point(marks[RIGHT_SHOULDER])
            # Facing the camera, the person's left shoulder is on the image's right.
            facing = person_left.x > person_right.x
            pose = Pose(
                shoulders=(person_right, person_left) if facing else (person_left, person_right),
                hips=(point(marks[RIGHT_HIP]), point(marks[LEFT_HIP]))
                if facing
                else (point(marks[LEFT_HIP]), point(marks[RIGHT_HIP])),
                elbows=(limb(RIGHT_ELBOW), limb(LEFT_ELBOW))
                if facing
                else (limb(LEFT_ELBOW), limb(RIGHT_ELBOW)),
                wrists=(limb(RIGHT_WRIST), limb(LEFT_WRIST))
                if facing
                else (limb(LEFT_WRIST), limb(RIGHT_WRIST)),
                nose_visibility=float(marks[NOSE].visibility),
                facing_camera=facing,
            )
            if pose_result.segmentation_mask is not None:
                mask = _full_mask(pose_result.segmentation_mask, width, height)

        head = None
        if mesh_result is not None and mesh_result.multi_face_landmarks:
            marks = mesh_result.multi_face_landmarks[0].landmark
            eyes = sorted((point(marks[IRISES[0]]), point(marks[IRISES[1]])), key=lambda p: p.x)
            cheek_a, cheek_b = point(marks[CHEEKS[0]]), point(marks[CHEEKS[1]])
            head = Head(
                eyes=(eyes[0], eyes[1]),
                forehead=point(marks[FOREHEAD]),
                chin=point(marks[CHIN]),
                face_width=math.hypot(cheek_b.x - cheek_a.x, cheek_b.y - cheek_a.y) or 1.0,
            )
        return Observations(width, height, tuple(faces), pose, head, mask, self.name)
