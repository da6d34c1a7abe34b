"""Reading and writing images, with the size checks done before any pixel is decoded.

A decompression bomb (a few kilobytes of PNG that claim 30000 x 30000 pixels) would make OpenCV
allocate gigabytes, so ``image_dimensions`` reads width and height from the PNG, JPEG or WebP
header first and ``decode_rgb`` refuses anything over ``MAX_IMAGE_PIXELS`` or of an unknown
format without handing it to the decoder. Pixels are RGB ``uint8`` arrays everywhere in the
package (OpenCV's BGR stops at this module).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from trustcart.tryon.errors import ImageError, TryOnProblem, TryOnUnavailable
from trustcart.tryon.types import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MIN_IMAGE_SIDE

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Image = npt.NDArray[np.uint8]

INSTALL_HINT = "virtual try-on needs the optional extra: pip install 'trustcart[tryon]'"


def require_extra() -> None:
    """Raise ``TryOnUnavailable`` with an install hint unless numpy and OpenCV import."""
    try:
        import cv2  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        raise TryOnUnavailable(TryOnProblem.EXTRA_MISSING, f"{INSTALL_HINT} ({e})") from e


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    # Walk the marker segments up to the first start-of-frame; its header holds the size.
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        if length < 2:
            return None
        index += 2 + length
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def image_dimensions(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG, JPEG or WebP header; ``ImageError`` for anything else.

    >>> image_dimensions(bytes.fromhex("89504e470d0a1a0a0000000d49484452") + (3).to_bytes(4, "big")
    ...                  + (2).to_bytes(4, "big"))
    (3, 2)
    """
    size: tuple[int, int] | None = None
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        size = (int(width), int(height))
    elif data.startswith(b"\xff\xd8"):
        size = _jpeg_dimensions(data)
    elif data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        size = _webp_dimensions(data)
    if size is None:
        raise ImageError(TryOnProblem.IMAGE_UNREADABLE, "send a PNG, JPEG or WebP image")
    return size


def check_dimensions(width: int, height: int, what: str) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageError(
            TryOnProblem.IMAGE_TOO_LARGE,
            f"the {what} is {width}x{height}; at most {MAX_IMAGE_PIXELS // 1_000_000} megapixels",
        )
    if min(width, height) < MIN_IMAGE_SIDE:
        raise ImageError(
            TryOnProblem.IMAGE_TOO_SMALL,
            f"the {what} is {width}x{height}; each side needs at least {MIN_IMAGE_SIDE} pixels",
        )


def decode_image(data: bytes, what: str = "image") -> Image:
    """Decode to RGB, or RGBA when the file has an alpha channel; checks size before decoding."""
    require_extra()
    import cv2
    import numpy as np

    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(
            TryOnProblem.IMAGE_TOO_LARGE, f"the {what} exceeds {MAX_IMAGE_BYTES} bytes"
        )
    width, height = image_dimensions(data)
    check_dimensions(width, height, what)
    decoded: Any = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None or decoded.ndim not in (2, 3) or decoded.shape[:2] != (height, width):
        raise ImageError(TryOnProblem.IMAGE_UNREADABLE, f"the {what} could not be decoded")
    if decoded.dtype != np.uint8:  # 16-bit PNG
        decoded = (decoded >> 8).astype(np.uint8)
    if decoded.ndim == 2:
        return np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_GRAY2RGB))
    if decoded.shape[2] == 4:
        return np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_BGRA2RGBA))
    return np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))


def decode_rgb(data: bytes, what: str = "image") -> Image:
    """Decode to RGB; transparent pixels of an RGBA file become white."""
    import numpy as np

    image = decode_image(data, what)
    if image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        image = (image[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    return image


def encode_png(image: Image) -> bytes:
    """Encode an RGB or RGBA array as PNG (fast compression: previews are sent once)."""
    require_extra()
    import cv2

    code = cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(image, code), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ImageError(TryOnProblem.IMAGE_UNREADABLE, "the result could not be encoded as PNG")
    return bytes(buffer.tobytes())
