"""Sample inputs that need no download: drawn products and photos shipped by installed packages.

The products are drawn here (a T-shirt, a pair of glasses, a cap), each on a plain background as
a product shot would be. The person photos come from packages that ship them: scikit-image's
``astronaut`` (Eileen Collins, NASA, public domain) and matplotlib's ``grace_hopper.jpg``. The
tests, the benchmark and ``trustcart tryon-samples`` use them.
"""

from __future__ import annotations

from trustcart.tryon.errors import TryOnProblem, TryOnUnavailable
from trustcart.tryon.images import encode_png, require_extra

PERSON_SAMPLES = ("astronaut", "hopper")


def draw_tshirt(colour: tuple[int, int, int] = (200, 30, 40), width: int = 600) -> bytes:
    """A short-sleeved T-shirt, flat and seen from the front, on white; PNG bytes."""
    require_extra()
    import cv2
    import numpy as np

    height = round(width * 0.95)
    image = np.full((height, width, 3), 255, np.uint8)

    def px(x: float, y: float) -> tuple[int, int]:
        return round(x * width), round(y * height)

    outline = np.array(
        [
            px(*p)
            for p in (
                (0.38, 0.06),
                (0.44, 0.10),
                (0.50, 0.11),
                (0.56, 0.10),
                (0.62, 0.06),  # collar
                (0.80, 0.12),
                (0.97, 0.33),
                (0.85, 0.41),
                (0.78, 0.33),  # right sleeve
                (0.78, 0.95),
                (0.22, 0.95),  # hem
                (0.22, 0.33),
                (0.15, 0.41),
                (0.03, 0.33),
                (0.20, 0.12),  # left sleeve
            )
        ],
        np.int32,
    )
    cv2.fillPoly(image, [outline], colour)
    darker = tuple(int(c * 0.7) for c in colour)
    cv2.polylines(image, [outline], True, darker, max(2, width // 200), cv2.LINE_AA)
    cv2.rectangle(image, px(0.22, 0.55), px(0.78, 0.62), (250, 250, 250), -1)  # a stripe
    return encode_png(image)


def draw_glasses(width: int = 500, colour: tuple[int, int, int] = (20, 20, 20)) -> bytes:
    """Front view of round glasses with tinted lenses, on white; PNG bytes."""
    require_extra()
    import cv2
    import numpy as np

    height = round(width * 0.4)
    image = np.full((height, width, 3), 255, np.uint8)
    radius = round(width * 0.16)
    centres = ((round(width * 0.28), height // 2), (round(width * 0.72), height // 2))
    thickness = max(3, width // 60)
    for centre in centres:
        cv2.circle(image, centre, radius, (120, 150, 170), -1, cv2.LINE_AA)  # tinted lens
        cv2.circle(image, centre, radius, colour, thickness, cv2.LINE_AA)
    bridge_y = height // 2 - radius // 3
    cv2.line(
        image,
        (centres[0][0] + radius, bridge_y),
        (centres[1][0] - radius, bridge_y),
        colour,
        thickness,
        cv2.LINE_AA,
    )
    for x0, x1 in (
        (centres[0][0] - radius, 0 + width // 50),
        (centres[1][0] + radius, width - width // 50),
    ):
        cv2.line(image, (x0, bridge_y), (x1, bridge_y - radius // 4), colour, thickness)
    return encode_png(image)


def draw_cap(width: int = 500, colour: tuple[int, int, int] = (30, 60, 160)) -> bytes:
    """Front view of a cap (crown and brim band), on white; PNG bytes."""
    require_extra()
    import cv2
    import numpy as np

    height = round(width * 0.7)
    image = np.full((height, width, 3), 255, np.uint8)
    centre = (width // 2, round(height * 0.78))
    cv2.ellipse(
        image,
        centre,
        (round(width * 0.40), round(height * 0.68)),
        0,
        180,
        360,
        colour,
        -1,
        cv2.LINE_AA,
    )
    cv2.rectangle(
        image,
        (round(width * 0.06), round(height * 0.74)),
        (round(width * 0.94), round(height * 0.92)),
        tuple(int(c * 0.7) for c in colour),
        -1,
    )
    cv2.circle(image, (width // 2, round(height * 0.12)), width // 30, (240, 240, 240), -1)
    return encode_png(image)


def person_photo(name: str = "astronaut") -> bytes:
    """PNG bytes of a sample photo that an installed package ships (see ``PERSON_SAMPLES``)."""
    require_extra()
    import numpy as np

    try:
        if name == "astronaut":
            from skimage import data

            return encode_png(np.ascontiguousarray(data.astronaut()))
        if name == "hopper":
            from matplotlib import cbook

            path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
            with open(str(path), "rb") as handle:
                return handle.read()
    except ImportError as e:
        raise TryOnUnavailable(
            TryOnProblem.EXTRA_MISSING,
            f"the sample photo '{name}' needs scikit-image or matplotlib ({e})",
        ) from e
    raise ValueError(f"unknown sample photo {name!r}; choose from {', '.join(PERSON_SAMPLES)}")
