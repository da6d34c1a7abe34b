"""Placement on the photo (where the change lies, not its pixels) and back-end selection."""

from __future__ import annotations

import sys
from importlib import metadata

import numpy as np
import numpy.typing as npt
import pytest

from trustcart.tryon.backends import (
    CLASSICAL,
    ENTRY_POINT_GROUP,
    ClassicalBackend,
    TryOnService,
    discover_backends,
    select_backend,
)
from trustcart.tryon.errors import BackendError, PhotoError, TryOnProblem
from trustcart.tryon.types import Box, Category, TryOnRequest, TryOnResult

pytest.importorskip("numpy")
cv2 = pytest.importorskip("cv2")
pytest.importorskip("skimage")

from trustcart.tryon.cache import ProductCache  # noqa: E402
from trustcart.tryon.images import decode_rgb, encode_png  # noqa: E402
from trustcart.tryon.person import FORCE_FALLBACK_ENV, analyze_person  # noqa: E402
from trustcart.tryon.samples import (  # noqa: E402
    draw_cap,
    draw_glasses,
    draw_tshirt,
    person_photo,
)

PHOTOS = ["astronaut", "hopper"]
ANALYZERS = ["default", "opencv"]


@pytest.fixture(params=ANALYZERS)
def service(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> TryOnService:
    if request.param == "opencv":
        monkeypatch.setenv(FORCE_FALLBACK_ENV, "opencv")
    return TryOnService(discover_backends(entry_points=[]))


def changed(before: npt.NDArray[np.uint8], after: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    mask: npt.NDArray[np.bool_] = np.abs(before.astype(int) - after.astype(int)).sum(axis=2) > 30
    return mask


@pytest.mark.parametrize("name", PHOTOS)
def test_tshirt_change_lies_over_the_torso(service: TryOnService, name: str) -> None:
    photo = person_photo(name)
    before = decode_rgb(photo)
    result = service.try_on(TryOnRequest(photo, draw_tshirt(), Category.UPPER))
    after = decode_rgb(result.image_png)
    assert after.shape == before.shape
    assert (result.width, result.height) == (before.shape[1], before.shape[0])
    assert result.approximate
    assert "Approximate preview" in result.notice
    person = analyze_person(before, Category.UPPER)
    assert person.pose is not None
    assert person.face is not None
    moved = changed(before, after)
    ys, xs = np.nonzero(moved)
    assert moved.mean() > 0.1  # a garment, not a few pixels
    left, right = person.pose.shoulders
    span = right.x - left.x
    shoulder_y = min(left.y, right.y)
    # Almost every changed pixel is below the chin and within the torso and arms' reach.
    torso = (
        (ys > person.face.bottom - 0.1 * person.face.height)
        & (xs > left.x - 0.9 * span)
        & (xs < right.x + 0.9 * span)
    )
    assert torso.mean() > 0.97
    # The chest (between the shoulders, a little below them) is covered...
    chest = moved[
        round(shoulder_y + 0.2 * span) : round(shoulder_y + 0.5 * span),
        round(left.x + 0.2 * span) : round(right.x - 0.2 * span),
    ]
    assert chest.mean() > 0.9
    # ...and the eyes are untouched.
    face = person.face
    assert not moved[
        round(face.top + 0.3 * face.height) : round(face.top + 0.5 * face.height),
        round(face.left) : round(face.right),
    ].any()
    region = result.region
    assert region.contains(left.__class__((left.x + right.x) / 2, shoulder_y + 0.3 * span))


@pytest.mark.parametrize("name", PHOTOS)
def test_glasses_land_over_the_eyes(service: TryOnService, name: str) -> None:
    photo = person_photo(name)
    before = decode_rgb(photo)
    result = service.try_on(TryOnRequest(photo, draw_glasses(), Category.EYEWEAR))
    after = decode_rgb(result.image_png)
    assert after.shape == before.shape
    person = analyze_person(before, Category.EYEWEAR)
    assert person.head is not None
    assert person.face is not None
    eye_left, eye_right = person.head.eyes
    moved = changed(before, after)
    # Each iris is under a lens, and the change stays on the face's upper half.
    for eye in (eye_left, eye_right):
        assert moved[round(eye.y) - 2 : round(eye.y) + 3, round(eye.x) - 2 : round(eye.x) + 3].all()
    ys, xs = np.nonzero(moved)
    face = person.face
    assert ys.min() > face.top - 0.1 * face.height
    assert ys.max() < face.center.y + 0.2 * face.height
    assert xs.min() > face.left - 0.35 * face.width
    assert xs.max() < face.right + 0.35 * face.width
    assert result.region.contains(eye_left)
    assert result.region.contains(eye_right)


@pytest.mark.parametrize("name", PHOTOS)
def test_cap_sits_on_top_of_the_head(service: TryOnService, name: str) -> None:
    photo = person_photo(name)
    before = decode_rgb(photo)
    result = service.try_on(TryOnRequest(photo, draw_cap(), Category.HEADWEAR))
    person = analyze_person(before, Category.HEADWEAR)
    assert person.head is not None
    eyes_y = min(eye.y for eye in person.head.eyes)
    moved = changed(before, decode_rgb(result.image_png))
    ys, xs = np.nonzero(moved)
    assert ys.max() < eyes_y  # nothing drawn over or below the eyes
    middle = (person.head.eyes[0].x + person.head.eyes[1].x) / 2
    assert xs.min() < middle < xs.max()
    assert moved[: round(eyes_y)].mean() > 0.05


def test_unusable_photo_fails_through_the_service(service: TryOnService) -> None:
    from skimage import data

    cat = encode_png(np.ascontiguousarray(data.chelsea()))
    with pytest.raises(PhotoError) as caught:
        service.try_on(TryOnRequest(cat, draw_tshirt(), Category.UPPER))
    assert caught.value.code is TryOnProblem.NO_PERSON


def test_fallback_runs_without_mediapipe(monkeypatch: pytest.MonkeyPatch) -> None:
    from trustcart.tryon import person

    monkeypatch.setitem(sys.modules, "mediapipe", None)  # `import mediapipe` now fails
    monkeypatch.delenv(FORCE_FALLBACK_ENV, raising=False)
    assert not person.mediapipe_installed()
    assert person.default_analyzer().name == "opencv"
    result = ClassicalBackend().try_on(
        TryOnRequest(person_photo("astronaut"), draw_glasses(), Category.EYEWEAR)
    )
    assert result.backend == "classical/opencv"


def test_prepared_products_are_cached_per_product() -> None:
    cache = ProductCache(entries=1)
    backend = ClassicalBackend(cache=cache)
    photo = person_photo("astronaut")
    request = TryOnRequest(photo, draw_glasses(), Category.EYEWEAR, product_key="sku-9")
    backend.try_on(request)
    backend.try_on(request)
    assert (cache.misses, cache.hits, len(cache)) == (1, 1, 1)
    backend.try_on(TryOnRequest(photo, draw_cap(), Category.HEADWEAR))
    assert len(cache) == 1  # the least recently used entry went


# -- back ends ----------------------------------------------------------------------------------


class FakeBackend:
    """A generative back end stand-in: returns the photo unchanged, or fails on request."""

    categories = frozenset({Category.UPPER})

    def __init__(self, name: str, ready: bool = True, crash: bool = False) -> None:
        self.name = name
        self.ready = ready
        self.crash = crash
        self.calls = 0

    def available(self) -> bool:
        return self.ready

    def try_on(self, request: TryOnRequest) -> TryOnResult:
        self.calls += 1
        if self.crash:
            raise MemoryError("weights too large")
        return TryOnResult(
            image_png=request.person_image,
            width=1,
            height=1,
            category=request.category,
            backend=self.name,
            region=Box(0, 0, 1, 1),
            approximate=False,
            notice="",
        )


REGISTRY: dict[str, object] = {}


def make_registered() -> object:
    return REGISTRY["backend"]


def make_broken() -> object:
    raise RuntimeError("weights folder not configured")


def entry(name: str, target: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=f"{__name__}:{target}", group=ENTRY_POINT_GROUP)


def test_entry_points_are_discovered_and_broken_ones_reported() -> None:
    REGISTRY["backend"] = FakeBackend("catvton")
    found = discover_backends(
        entry_points=[
            entry("catvton", "make_registered"),
            entry("broken", "make_broken"),
            entry("missing", "no_such_factory"),
            entry("classical", "make_registered"),
            entry("not-a-backend", "changed"),
        ]
    )
    assert sorted(found.backends) == ["catvton", CLASSICAL]
    assert sorted(found.broken) == ["broken", "classical", "missing", "not-a-backend"]
    assert "weights folder" in found.broken["broken"]


def test_available_generative_backend_is_preferred_and_classical_is_the_fallback() -> None:
    ready, absent = FakeBackend("catvton"), FakeBackend("idm-vton", ready=False)
    found = discover_backends(entry_points=[])
    found.backends.update({"catvton": ready, "idm-vton": absent})
    assert select_backend(found, Category.UPPER) is ready
    assert select_backend(found, Category.EYEWEAR).name == CLASSICAL  # not its category
    ready.ready = False
    assert select_backend(found, Category.UPPER).name == CLASSICAL
    with pytest.raises(BackendError) as caught:
        select_backend(found, Category.UPPER, "idm-vton")
    assert caught.value.code is TryOnProblem.BACKEND_UNAVAILABLE
    with pytest.raises(BackendError) as caught:
        select_backend(found, Category.UPPER, "ootd")
    assert caught.value.code is TryOnProblem.BACKEND_UNKNOWN


def test_backend_failure_is_reported_not_leaked() -> None:
    crashing = FakeBackend("catvton", crash=True)
    found = discover_backends(entry_points=[])
    found.backends["catvton"] = crashing
    service = TryOnService(found)
    request = TryOnRequest(b"\x89PNG\r\n\x1a\nrest", b"x", Category.UPPER)
    with pytest.raises(BackendError) as caught:
        service.try_on(request)
    assert caught.value.code is TryOnProblem.BACKEND_FAILED
    assert crashing.calls == 1
    crashing.crash = False
    assert service.try_on(request).backend == "catvton"
    described = {row["name"]: row for row in service.describe()}
    assert described["catvton"]["available"] is True
    assert described[CLASSICAL]["categories"] == ["eyewear", "headwear", "upper"]
