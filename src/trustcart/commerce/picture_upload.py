"""A merchant's product picture upload: decoded, bounded and re-encoded before it is kept.

What a merchant uploads is shown to every shopper, so nothing of the file itself is kept: it is
decoded with Pillow and a fresh PNG is written from its pixels. Active content (SVG scripts,
HTML sniffed from a polyglot, metadata, colour profiles, extra frames) cannot pass through.

Rules kept, in this order, each failing closed with a ``PictureRefused`` and its stable
``PictureProblem`` code (``tests/commerce/test_picture_upload.py`` tries to get past each):

* at most ``MAX_PICTURE_BYTES`` bytes, checked before anything is parsed;
* PNG, JPEG or WebP only, told by Pillow from the bytes (never the name or the declared type);
* at most ``MAX_PICTURE_PIXELS`` pixels and at least ``MIN_PICTURE_SIDE`` per side, read from the
  header before the pixels are decoded (a decompression bomb is refused unread);
* it must decode completely (a truncated or corrupt file is refused);
* the result is turned upright (EXIF orientation), scaled to at most ``max_side`` pixels per
  side (``STORED_SIDE`` by default), and written as PNG (RGB, or RGBA when the upload had
  transparency).

Exception tree: ``ValidationError`` (``trustcart.core.errors``) └── ``PictureRefused`` (``code``).

>>> sanitize_picture(b"<svg onload='alert(1)'/>")
Traceback (most recent call last):
...
trustcart.commerce.picture_upload.PictureRefused: the file is not a PNG, JPEG or WebP picture
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from enum import StrEnum

from trustcart.core.errors import ValidationError

MAX_PICTURE_BYTES = 5 * 1024 * 1024
MAX_PICTURE_PIXELS = 24_000_000
MIN_PICTURE_SIDE = 64
STORED_SIDE = 1024
MAX_SIDE = 4096
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PictureProblem(StrEnum):
    """Why an uploaded product picture was refused (stable, documented in docs/errors.md)."""

    TOO_LARGE = "picture-too-large"
    TOO_SMALL = "picture-too-small"
    UNREADABLE = "picture-unreadable"


class PictureRefused(ValidationError):
    """An uploaded picture cannot be used; ``code`` says why."""

    def __init__(self, code: PictureProblem, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class SanitizedPicture:
    """A PNG written by us from an upload's pixels, with its size and SHA-256."""

    png: bytes = field(repr=False)
    width: int
    height: int

    def __post_init__(self) -> None:
        if not self.png.startswith(PNG_SIGNATURE):
            raise ValidationError("a sanitized picture is a PNG")
        if not (0 < self.width <= MAX_SIDE and 0 < self.height <= MAX_SIDE):
            raise ValidationError(f"a sanitized picture is at most {MAX_SIDE} px per side")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.png).hexdigest()


def sanitize_picture(
    data: bytes, *, max_bytes: int = MAX_PICTURE_BYTES, max_side: int = STORED_SIDE
) -> SanitizedPicture:
    """Decode ``data`` and write it again as a PNG at most ``max_side`` px per side.

    Raises ``PictureRefused`` for anything the rules above refuse; ``max_bytes`` caps the upload.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not isinstance(data, bytes) or not data:
        raise PictureRefused(PictureProblem.UNREADABLE, "the file is empty")
    if len(data) > max_bytes:
        raise PictureRefused(PictureProblem.TOO_LARGE, f"the file is over {max_bytes:,} bytes")
    unreadable = PictureRefused(
        PictureProblem.UNREADABLE, "the file is not a PNG, JPEG or WebP picture"
    )
    too_many_pixels = PictureRefused(
        PictureProblem.TOO_LARGE, f"the picture is over {MAX_PICTURE_PIXELS:,} pixels"
    )
    try:
        image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        # Pillow's own bomb check fires on the header, before our lower limit below.
        raise too_many_pixels from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise unreadable from e
    with image:
        width, height = image.size
        if width * height > MAX_PICTURE_PIXELS:
            raise too_many_pixels
        if min(width, height) < MIN_PICTURE_SIDE:
            raise PictureRefused(
                PictureProblem.TOO_SMALL, f"the picture must be at least {MIN_PICTURE_SIDE} px"
            )
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            transparent = upright.mode in ("RGBA", "LA", "PA") or (
                upright.mode == "P" and "transparency" in upright.info
            )
            pixels = upright.convert("RGBA" if transparent else "RGB")
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
            raise unreadable from e
    pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    pixels.save(out, format="PNG")  # no text chunks, EXIF or ICC: none are passed on
    return SanitizedPicture(out.getvalue(), pixels.width, pixels.height)
