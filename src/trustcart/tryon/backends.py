"""Try-on back ends: one Protocol, the classical one built in, others found by entry points.

A back end turns a ``TryOnRequest`` into a ``TryOnResult``. The classical back end (this module)
needs numpy and OpenCV and, when installed, mediapipe's bundled models; it is always the fallback.
A generative back end (CatVTON, IDM-VTON, OOTDiffusion, ...) lives in its own distribution and
registers a factory under the entry-point group ``trustcart.tryon_backends``::

    [project.entry-points."trustcart.tryon_backends"]
    catvton = "trustcart_catvton:CatVTONBackend"

The factory is called with no arguments. ``available()`` must look only for weights already on
this machine and never download anything: trustcart runs offline, and a back end that would have
to fetch its weights is simply not available. ``select_backend`` prefers an available
generative back end supporting the category, in name order, and falls back to the classical one;
a broken plug-in (import error, factory raising) is skipped and reported by ``discover_backends``,
never allowed to break try-on. See docs/tryon.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

from trustcart.tryon.cache import ProductCache
from trustcart.tryon.errors import BackendError, TryOnError, TryOnProblem
from trustcart.tryon.types import (
    APPROXIMATE_NOTICE,
    Box,
    Category,
    TryOnRequest,
    TryOnResult,
)

ENTRY_POINT_GROUP = "trustcart.tryon_backends"
CLASSICAL = "classical"


@runtime_checkable
class TryOnBackend(Protocol):
    """What every try-on back end provides."""

    name: str
    categories: frozenset[Category]

    def available(self) -> bool:
        """True when it can run here now, from local files only; never downloads."""
        ...

    def try_on(self, request: TryOnRequest) -> TryOnResult: ...


class ClassicalBackend:
    """Cut-out, keypoints and warps: fast and offline, an approximate preview."""

    name = CLASSICAL
    categories = frozenset(Category)

    def __init__(self, cache: ProductCache | None = None, analyzer: Any = None) -> None:
        self.cache = cache if cache is not None else ProductCache()
        self._analyzer = analyzer

    def available(self) -> bool:
        try:
            import cv2  # noqa: F401
            import numpy  # noqa: F401
        except ImportError:
            return False
        return True

    def try_on(self, request: TryOnRequest) -> TryOnResult:
        from trustcart.tryon.images import decode_rgb, encode_png, require_extra
        from trustcart.tryon.person import analyze_person
        from trustcart.tryon.product import prepare_product
        from trustcart.tryon.render import render

        require_extra()
        timings: list[tuple[str, float]] = []
        started = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal started
            now = time.perf_counter()
            timings.append((stage, now - started))
            started = now

        photo = decode_rgb(request.person_image, "person photo")
        lap("decode")
        product = self.cache.get_or_prepare(
            request.product_cache_key,
            lambda: prepare_product(request.product_image, request.category),
        )
        lap("product")
        person = analyze_person(photo, request.category, self._analyzer)
        lap("person")
        region = render(photo, person, product)
        lap("render")
        png = encode_png(photo)
        lap("encode")
        height, width = photo.shape[:2]
        return TryOnResult(
            image_png=png,
            width=width,
            height=height,
            category=request.category,
            backend=f"{self.name}/{person.source}",
            region=region if region is not None else Box(0, 0, 0, 0),
            approximate=True,
            notice=APPROXIMATE_NOTICE,
            timings=tuple(timings),
        )


@dataclass(frozen=True)
class Discovery:
    backends: dict[str, TryOnBackend]
    broken: dict[str, str]  # entry-point name -> why it could not be loaded


def discover_backends(
    entry_points: Iterable[metadata.EntryPoint] | None = None,
    classical: TryOnBackend | None = None,
) -> Discovery:
    """The classical back end plus every loadable plug-in of ``ENTRY_POINT_GROUP``."""
    found: dict[str, TryOnBackend] = {CLASSICAL: classical or ClassicalBackend()}
    broken: dict[str, str] = {}
    points = (
        metadata.entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points
    )
    for point in points:
        if point.name == CLASSICAL:
            broken[point.name] = "the name 'classical' is reserved"
            continue
        try:
            backend = point.load()()
        except Exception as e:
            broken[point.name] = f"{type(e).__name__}: {e}"
            continue
        if not isinstance(backend, TryOnBackend):
            broken[point.name] = "does not implement TryOnBackend"
            continue
        found[point.name] = backend
    return Discovery(found, broken)


def _is_available(backend: TryOnBackend) -> bool:
    try:
        return bool(backend.available())
    except Exception:
        return False


def select_backend(
    discovery: Discovery, category: Category, name: str | None = None
) -> TryOnBackend:
    """The named back end, or the first available generative one, or the classical one."""
    if name is not None:
        backend = discovery.backends.get(name)
        if backend is None:
            known = ", ".join(sorted(discovery.backends))
            raise BackendError(
                TryOnProblem.BACKEND_UNKNOWN, f"no try-on back end '{name}' (known: {known})"
            )
        if category not in backend.categories or not _is_available(backend):
            raise BackendError(
                TryOnProblem.BACKEND_UNAVAILABLE,
                f"back end '{name}' cannot try on {category.value} here",
            )
        return backend
    for backend_name in sorted(discovery.backends):
        backend = discovery.backends[backend_name]
        if backend_name != CLASSICAL and category in backend.categories and _is_available(backend):
            return backend
    return discovery.backends[CLASSICAL]


class TryOnService:
    """What the shells call: pick a back end for the request and run it."""

    def __init__(self, discovery: Discovery | None = None) -> None:
        self.discovery = discovery if discovery is not None else discover_backends()

    def try_on(self, request: TryOnRequest, backend: str | None = None) -> TryOnResult:
        chosen = select_backend(self.discovery, request.category, backend)
        try:
            return chosen.try_on(request)
        except TryOnError:
            raise
        except Exception as e:
            # A generative back end's own failure (out of memory, bad weights) is reported as
            # such; the classical back end's own errors are all TryOnErrors already.
            raise BackendError(
                TryOnProblem.BACKEND_FAILED, f"back end '{chosen.name}' failed: {type(e).__name__}"
            ) from e

    def describe(self) -> list[dict[str, object]]:
        return [
            {
                "name": name,
                "available": _is_available(backend),
                "categories": sorted(c.value for c in backend.categories),
            }
            for name, backend in sorted(self.discovery.backends.items())
        ] + [
            {"name": name, "available": False, "error": why}
            for name, why in sorted(self.discovery.broken.items())
        ]
