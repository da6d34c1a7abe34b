"""``trustcart bench tryon``: median time per try-on at several photo sizes.

The photo is scikit-image's astronaut scaled to each size (long side) and sent as JPEG, as a
phone photo would be; the products are the drawn samples. Each case is run once to warm up (the
product is then in the cache, as it is for a catalog product, and the detectors are loaded), then
``repeats`` times. Two medians are reported: ``pipeline_ms`` (person analysis + drawing) and
``end_to_end_ms`` (adding JPEG decoding and PNG encoding of the result); a target is met when the
end-to-end median is within it. Product preparation, done once per product, is timed apart.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from trustcart.tryon.backends import ClassicalBackend
from trustcart.tryon.types import Category, TryOnRequest

DEFAULT_SIZES = (512, 1024, 2048)
TARGETS_MS = {("upper", 1024): 300.0, ("eyewear", 1024): 100.0}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _photo_jpeg(side: int) -> bytes:
    import cv2

    from trustcart.tryon.images import decode_rgb
    from trustcart.tryon.samples import person_photo

    photo = decode_rgb(person_photo("astronaut"))
    scaled = cv2.resize(photo, (side, side), interpolation=cv2.INTER_CUBIC)
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(scaled, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
    )
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return bytes(data.tobytes())


def run_tryon_bench(
    sizes: Sequence[int] = DEFAULT_SIZES,
    repeats: int = 5,
    categories: Sequence[Category] = tuple(Category),
) -> dict[str, object]:
    """Run the benchmark; returns a JSON-ready report."""
    from trustcart.tryon.person import default_analyzer
    from trustcart.tryon.product import prepare_product
    from trustcart.tryon.samples import draw_cap, draw_glasses, draw_tshirt

    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    products = {
        Category.UPPER: draw_tshirt(),
        Category.EYEWEAR: draw_glasses(),
        Category.HEADWEAR: draw_cap(),
    }
    backend = ClassicalBackend()
    preparation: dict[str, float] = {}
    for category in categories:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            prepare_product(products[category], category)
            times.append(time.perf_counter() - started)
        preparation[category.value] = round(statistics.median(times) * 1000, 1)
    rows: list[dict[str, object]] = []
    for side in sizes:
        photo = _photo_jpeg(side)
        for category in categories:
            request = TryOnRequest(photo, products[category], category, product_key="bench")
            backend.try_on(request)  # warm-up
            totals, pipelines = [], []
            for _ in range(repeats):
                started = time.perf_counter()
                result = backend.try_on(request)
                totals.append(time.perf_counter() - started)
                stages = dict(result.timings)
                pipelines.append(stages["person"] + stages["render"])
            pipeline_ms = round(statistics.median(pipelines) * 1000, 1)
            end_to_end_ms = round(statistics.median(totals) * 1000, 1)
            target = TARGETS_MS.get((category.value, side))
            rows.append(
                {
                    "size": side,
                    "category": category.value,
                    "pipeline_ms": pipeline_ms,
                    "end_to_end_ms": end_to_end_ms,
                    "target_ms": target,
                    "meets_target": None if target is None else end_to_end_ms <= target,
                }
            )
    return {
        "benchmark": "tryon",
        "analyzer": default_analyzer().name,
        "repeats": repeats,
        "cpu": cpu_model(),
        "cpus": _cpu_count(),
        "python": platform.python_version(),
        "product_preparation_ms": preparation,
        "results": rows,
    }


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
