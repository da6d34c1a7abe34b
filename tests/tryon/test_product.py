"""Product cut-outs and anchors on drawn products; image reading and its size checks."""

from __future__ import annotations

import struct
import sys
import zlib

import pytest

from trustcart.core.errors import ValidationError
from trustcart.tryon.errors import (
    ImageError,
    ProductImageError,
    TryOnProblem,
    TryOnUnavailable,
)
from trustcart.tryon.images import image_dimensions, require_extra
from trustcart.tryon.types import MAX_IMAGE_BYTES, Category, TryOnRequest


def test_missing_extra_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # makes `import cv2` raise ImportError
    with pytest.raises(TryOnUnavailable) as caught:
        require_extra()
    assert caught.value.code is TryOnProblem.EXTRA_MISSING
    assert "trustcart[tryon]" in str(caught.value)


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def test_request_validates_when_built() -> None:
    with pytest.raises(ValidationError):
        TryOnRequest(b"", b"x", Category.UPPER)
    with pytest.raises(ValidationError):
        TryOnRequest(b"x", b"x" * (MAX_IMAGE_BYTES + 1), Category.UPPER)
    with pytest.raises(ValidationError):
        TryOnRequest(b"x", b"x", "trousers")  # type: ignore[arg-type]
    request = TryOnRequest(b"x", b"y", "eyewear")  # type: ignore[arg-type]
    assert request.category is Category.EYEWEAR
    assert request.product_cache_key.startswith("eyewear:")
    keyed = TryOnRequest(b"x", b"y", Category.UPPER, product_key="sku-1")
    assert keyed.product_cache_key == "upper:sku-1"


def test_dimensions_are_read_from_headers() -> None:
    assert image_dimensions(_png_header(640, 480)) == (640, 480)
    with pytest.raises(ImageError) as caught:
        image_dimensions(b"GIF89a....")
    assert caught.value.code is TryOnProblem.IMAGE_UNREADABLE


np = pytest.importorskip("numpy")
cv2 = pytest.importorskip("cv2")

from trustcart.tryon.images import decode_image, decode_rgb, encode_png  # noqa: E402
from trustcart.tryon.product import prepare_product  # noqa: E402
from trustcart.tryon.samples import draw_cap, draw_glasses, draw_tshirt  # noqa: E402


def test_jpeg_and_webp_dimensions_match_the_decoder() -> None:
    image = np.zeros((123, 321, 3), np.uint8)
    for extension in (".jpg", ".webp"):
        ok, data = cv2.imencode(extension, image)
        assert ok
        assert image_dimensions(data.tobytes()) == (321, 123)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    # A valid header claiming 30000 x 30000 pixels, no pixel data: refused from the header.
    with pytest.raises(ImageError) as caught:
        decode_image(_png_header(30000, 30000) + b"\x00" * 100)
    assert caught.value.code is TryOnProblem.IMAGE_TOO_LARGE


def test_unreadable_and_tiny_images_are_refused() -> None:
    with pytest.raises(ImageError) as caught:
        decode_image(b"not an image at all")
    assert caught.value.code is TryOnProblem.IMAGE_UNREADABLE
    truncated = encode_png(np.full((200, 200, 3), 7, np.uint8))[:60]
    with pytest.raises(ImageError) as caught:
        decode_image(truncated)
    assert caught.value.code is TryOnProblem.IMAGE_UNREADABLE
    with pytest.raises(ImageError) as caught:
        decode_image(encode_png(np.zeros((32, 300, 3), np.uint8)))
    assert caught.value.code is TryOnProblem.IMAGE_TOO_SMALL


def test_png_round_trip_keeps_rgb_order() -> None:
    image = np.zeros((80, 90, 3), np.uint8)
    image[:, :, 0] = 255  # red
    back = decode_rgb(encode_png(image))
    assert back.shape == (80, 90, 3)
    assert (back[:, :, 0] == 255).all()
    assert (back[:, :, 2] == 0).all()


def test_tshirt_anchors_follow_its_outline() -> None:
    product = prepare_product(draw_tshirt(width=600), Category.UPPER)
    points = product.keypoints
    height, width = product.rgba.shape[:2]
    # The drawn torso spans 22 %..78 % of 600 px, the sleeves 3 %..97 %: the crop is ~564 wide.
    torso = points["shoulder_right"].x - points["shoulder_left"].x
    assert torso / width == pytest.approx(0.56 / 0.94, abs=0.03)
    for side in ("left", "right"):
        assert points[f"shoulder_{side}"].y < points[f"armpit_{side}"].y < points[f"hem_{side}"].y
        assert f"sleeve_{side}" in product.layers
    assert points["neck_left"].x < points["neck_front"].x < points["neck_right"].x
    assert points["neck_front"].y > points["neck_left"].y  # the collar dips
    assert points["hem_centre"].y == pytest.approx(height - 1, abs=3)
    # The white stripe inside the shirt matched the background colour; it must stay opaque.
    stripe_row = round(height * (0.585 - 0.06) / 0.89)
    assert (product.layers["torso"][stripe_row, width // 2, 3]) == 255
    # Sleeve layers hold the sleeves only; the torso layer has none of their outer pixels.
    assert product.layers["torso"][round(points["armpit_left"].y) - 5, 3, 3] == 0


def test_glasses_lens_centres_match_the_drawing() -> None:
    product = prepare_product(draw_glasses(width=500), Category.EYEWEAR)
    left, right = product.keypoints["lens_left"], product.keypoints["lens_right"]
    # Lenses are drawn at 28 % and 72 % of 500 px; the crop starts at the left temple (~2 %).
    assert right.x - left.x == pytest.approx(0.44 * 500, abs=8)
    assert left.y == pytest.approx(right.y, abs=3)
    assert product.rgba[round(left.y), round(left.x), 3] == 255  # tinted lens is kept


def test_cap_brim_is_its_lowest_widest_edge() -> None:
    product = prepare_product(draw_cap(width=500), Category.HEADWEAR)
    points = product.keypoints
    assert points["brim_right"].x - points["brim_left"].x == pytest.approx(0.88 * 500, abs=8)
    assert points["crown"].y < points["brim_left"].y


def test_transparent_png_is_taken_as_cut_out() -> None:
    rgba = np.zeros((300, 500, 4), np.uint8)
    cv2.circle(rgba, (140, 150), 80, (10, 10, 10, 255), -1)
    cv2.circle(rgba, (360, 150), 80, (10, 10, 10, 255), -1)
    cv2.line(rgba, (220, 150), (280, 150), (10, 10, 10, 255), 10)
    product = prepare_product(encode_png(rgba), Category.EYEWEAR)
    left, right = product.keypoints["lens_left"], product.keypoints["lens_right"]
    assert right.x - left.x == pytest.approx(220, abs=4)


def _unusable(data: bytes, category: Category) -> None:
    with pytest.raises(ProductImageError) as caught:
        prepare_product(data, category)
    assert caught.value.code is TryOnProblem.PRODUCT_UNUSABLE


def test_unusable_product_images_are_refused() -> None:
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)
    _unusable(encode_png(noise), Category.UPPER)  # no plain background
    _unusable(encode_png(np.full((300, 300, 3), 255, np.uint8)), Category.UPPER)  # nothing on it
    dot = np.full((300, 300, 3), 255, np.uint8)
    cv2.circle(dot, (150, 150), 60, (0, 0, 0), -1)
    _unusable(encode_png(dot), Category.EYEWEAR)  # not wider than tall
    _unusable(encode_png(dot), Category.UPPER)  # no torso and hem
    _unusable(draw_glasses(), Category.HEADWEAR)  # a pair of glasses is no hat
