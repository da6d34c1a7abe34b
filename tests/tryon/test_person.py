"""Person analysis: keypoints and masks on shipped sample photos, and the usability rules."""

from __future__ import annotations

import pytest

from trustcart.tryon.errors import PhotoError, TryOnProblem
from trustcart.tryon.person import (
    MIN_FACE_PX,
    MIN_SHOULDER_PX,
    Head,
    Observations,
    Pose,
    judge_person,
)
from trustcart.tryon.types import Box, Category, Point

np = pytest.importorskip("numpy")
cv2 = pytest.importorskip("cv2")
pytest.importorskip("skimage")

from trustcart.tryon.images import decode_rgb  # noqa: E402
from trustcart.tryon.samples import person_photo  # noqa: E402


def _has_mediapipe() -> bool:
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        return False
    return True


ANALYZERS = [
    pytest.param(
        "mediapipe",
        marks=pytest.mark.skipif(not _has_mediapipe(), reason="mediapipe not installed"),
    ),
    "opencv",
]


def analyzer_named(name: str):  # type: ignore[no-untyped-def]
    if name == "mediapipe":
        from trustcart.tryon.person_mediapipe import MediapipeAnalyzer

        return MediapipeAnalyzer()
    from trustcart.tryon.person_opencv import OpenCVAnalyzer

    return OpenCVAnalyzer()


def photo(name: str = "astronaut"):  # type: ignore[no-untyped-def]
    return decode_rgb(person_photo(name))


# Where things are in the astronaut photo (512 x 512), measured by eye with generous margins:
# the face spans x 175-275, y 60-165; the eyes are at about (203, 101) and (247, 103).
ASTRONAUT_FACE = Box(160, 50, 290, 175)


@pytest.mark.parametrize("name", ANALYZERS)
def test_eyes_lie_in_the_face_upper_half_image_left_first(name: str) -> None:
    from trustcart.tryon.person import analyze_person

    person = analyze_person(photo(), Category.EYEWEAR, analyzer_named(name))
    assert person.head is not None
    assert person.face is not None
    left, right = person.head.eyes
    assert left.x < right.x
    for eye in (left, right):
        assert ASTRONAUT_FACE.contains(eye)
        assert eye.y < person.face.center.y
    assert abs(left.x - 203) < 12
    assert abs(right.x - 247) < 12
    assert 30 < right.x - left.x < 70


@pytest.mark.parametrize("name", ANALYZERS)
def test_shoulders_below_the_chin_and_mask_covers_the_person(name: str) -> None:
    from trustcart.tryon.person import analyze_person

    person = analyze_person(photo(), Category.UPPER, analyzer_named(name))
    assert person.pose is not None
    assert person.mask is not None
    assert person.face is not None
    left, right = person.pose.shoulders
    assert left.x < person.face.center.x < right.x
    assert min(left.y, right.y) > person.face.bottom
    assert person.pose.shoulder_width > 1.5 * person.face.width
    mask = person.mask
    assert mask.shape == (512, 512)
    assert mask[110, 225] > 0.5  # the face
    assert mask[350, 220] > 0.5  # the chest
    assert mask[10, 10] < 0.5
    assert mask[10, 500] < 0.5


@pytest.mark.skipif(not _has_mediapipe(), reason="mediapipe not installed")
def test_mediapipe_person_facing_camera_on_second_photo() -> None:
    from trustcart.tryon.person import analyze_person

    person = analyze_person(photo("hopper"), Category.UPPER, analyzer_named("mediapipe"))
    assert person.pose is not None
    assert person.pose.facing_camera
    assert person.pose.shoulders[0].x < 256 < person.pose.shoulders[1].x


@pytest.mark.parametrize("name", ANALYZERS)
def test_photo_without_a_person_is_refused(name: str) -> None:
    from skimage import data

    from trustcart.tryon.person import analyze_person

    cat = np.ascontiguousarray(data.chelsea())
    for category in Category:
        with pytest.raises(PhotoError) as caught:
            analyze_person(cat, category, analyzer_named(name))
        assert caught.value.code is TryOnProblem.NO_PERSON


@pytest.mark.parametrize("name", ANALYZERS)
def test_two_people_are_refused(name: str) -> None:
    from trustcart.tryon.person import analyze_person

    hopper = cv2.resize(photo("hopper"), (437, 512))
    both = np.ascontiguousarray(np.hstack([photo(), hopper]))
    with pytest.raises(PhotoError) as caught:
        analyze_person(both, Category.EYEWEAR, analyzer_named(name))
    assert caught.value.code is TryOnProblem.SEVERAL_PEOPLE


@pytest.mark.parametrize("name", ANALYZERS)
def test_a_person_far_away_is_too_small(name: str) -> None:
    from trustcart.tryon.person import analyze_person

    canvas = np.full((900, 900, 3), 200, np.uint8)
    canvas[400:520, 400:520] = cv2.resize(photo(), (120, 120), interpolation=cv2.INTER_AREA)
    with pytest.raises(PhotoError) as caught:
        analyze_person(canvas, Category.UPPER, analyzer_named(name))
    assert caught.value.code in (TryOnProblem.PERSON_TOO_SMALL, TryOnProblem.NO_PERSON)
    with pytest.raises(PhotoError):
        analyze_person(canvas, Category.EYEWEAR, analyzer_named(name))


# -- the pure rules, on hand-made observations -------------------------------------------------

FACE = Box(200, 80, 300, 200)
HEAD = Head(
    eyes=(Point(230, 130), Point(270, 130)),
    forehead=Point(250, 90),
    chin=Point(250, 200),
    face_width=100,
)


def pose(facing: bool = True, nose: float = 0.99, width: float = 200) -> Pose:
    return Pose(
        shoulders=(Point(250 - width / 2, 260), Point(250 + width / 2, 260)),
        hips=(Point(200, 520), Point(300, 520)),
        elbows=(None, None),
        wrists=(None, None),
        nose_visibility=nose,
        facing_camera=facing,
    )


def observed(
    faces: tuple[Box, ...] = (FACE,),
    body: Pose | None = None,
    head: Head | None = HEAD,
    mask: object = "mask",
) -> Observations:
    return Observations(600, 600, faces, body if body is not None else pose(), head, mask, "test")  # type: ignore[arg-type]


def code_of(observations: Observations, category: Category) -> TryOnProblem:
    with pytest.raises(PhotoError) as caught:
        judge_person(observations, category)
    return caught.value.code


def test_usable_photo_passes_for_every_category() -> None:
    for category in Category:
        person = judge_person(observed(), category)
        assert person.category is category
        assert person.face == FACE


def test_back_view_is_refused_for_every_category() -> None:
    for category in Category:
        assert (
            code_of(observed(faces=(), body=pose(facing=False)), category)
            is TryOnProblem.SEEN_FROM_BEHIND
        )
        assert (
            code_of(observed(faces=(), body=pose(nose=0.1)), category)
            is TryOnProblem.SEEN_FROM_BEHIND
        )


def test_a_face_hidden_but_body_facing_is_not_called_a_back_view() -> None:
    person = judge_person(observed(faces=(), body=pose()), Category.UPPER)
    assert person.face is None
    assert code_of(observed(faces=(), body=pose()), Category.EYEWEAR) is TryOnProblem.NO_PERSON


def test_second_face_counts_only_when_comparable_in_size() -> None:
    near = Box(400, 80, 480, 160)  # 80 px wide next to a 100 px face: a second shopper
    far = Box(500, 20, 530, 50)  # 30 px: someone in the background
    assert code_of(observed(faces=(FACE, near)), Category.UPPER) is TryOnProblem.SEVERAL_PEOPLE
    assert judge_person(observed(faces=(FACE, far)), Category.EYEWEAR).face == FACE


def test_small_people_are_refused_at_the_limits() -> None:
    narrow = pose(width=MIN_SHOULDER_PX - 1)
    assert code_of(observed(body=narrow), Category.UPPER) is TryOnProblem.PERSON_TOO_SMALL
    judge_person(observed(body=pose(width=MIN_SHOULDER_PX)), Category.UPPER)
    tiny = Box(0, 0, MIN_FACE_PX - 1, MIN_FACE_PX - 1)
    assert code_of(observed(faces=(tiny,)), Category.EYEWEAR) is TryOnProblem.PERSON_TOO_SMALL
    judge_person(observed(faces=(Box(0, 0, MIN_FACE_PX, MIN_FACE_PX),)), Category.HEADWEAR)


def test_missing_parts_are_refused() -> None:
    no_body = Observations(600, 600, (FACE,), None, HEAD, None, "test")
    assert code_of(no_body, Category.UPPER) is TryOnProblem.NO_PERSON
    assert code_of(observed(mask=None), Category.UPPER) is TryOnProblem.NO_PERSON
    assert code_of(observed(head=None), Category.EYEWEAR) is TryOnProblem.NO_PERSON
    nothing = Observations(600, 600, (), None, None, None, "test")
    for category in Category:
        assert code_of(nothing, category) is TryOnProblem.NO_PERSON
