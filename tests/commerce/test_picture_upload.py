"""A merchant's picture upload: only pixels pass, re-encoded as PNG; each refusal is tried."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.pictures import (
    HTML_PAGE,
    SVG_WITH_SCRIPT,
    encoded,
    png_claiming,
    png_with_text,
)
from trustcart.commerce.picture_upload import (
    MAX_PICTURE_BYTES,
    PNG_SIGNATURE,
    STORED_SIDE,
    PictureProblem,
    PictureRefused,
    sanitize_picture,
)


def _decoded(png: bytes) -> object:
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_each_accepted_format_comes_out_as_our_own_png(fmt: str) -> None:
    clean = sanitize_picture(encoded(fmt, (300, 200)))
    assert clean.png.startswith(PNG_SIGNATURE)
    assert (clean.width, clean.height) == (300, 200)
    image = _decoded(clean.png)
    assert image.format == "PNG"  # type: ignore[attr-defined]
    assert image.mode == "RGB"  # type: ignore[attr-defined]
    assert len(clean.sha256) == 64


def test_a_large_picture_is_scaled_down_and_transparency_is_kept() -> None:
    clean = sanitize_picture(encoded("PNG", (3000, 1500), (10, 20, 30, 0), mode="RGBA"))
    assert (clean.width, clean.height) == (STORED_SIDE, STORED_SIDE // 2)
    assert _decoded(clean.png).mode == "RGBA"  # type: ignore[attr-defined]


def test_exif_orientation_is_applied() -> None:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    clean = sanitize_picture(encoded("JPEG", (300, 200), exif=exif.tobytes()))
    assert (clean.width, clean.height) == (200, 300)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", PictureProblem.UNREADABLE),
        (SVG_WITH_SCRIPT, PictureProblem.UNREADABLE),
        (HTML_PAGE, PictureProblem.UNREADABLE),
        (encoded("GIF"), PictureProblem.UNREADABLE),
        (encoded("BMP"), PictureProblem.UNREADABLE),
        (encoded("PNG")[:-40], PictureProblem.UNREADABLE),  # truncated
        (png_claiming(30000, 30000), PictureProblem.TOO_LARGE),  # refused before decoding
        (b"\x89PNG" + b"\x00" * MAX_PICTURE_BYTES, PictureProblem.TOO_LARGE),
        (encoded("PNG", (20, 200)), PictureProblem.TOO_SMALL),
    ],
    ids=["empty", "svg", "html", "gif", "bmp", "truncated", "bomb", "bytes", "small"],
)
def test_what_is_not_a_usable_picture_is_refused(data: bytes, code: PictureProblem) -> None:
    with pytest.raises(PictureRefused) as refused:
        sanitize_picture(data)
    assert refused.value.code is code


def test_nothing_but_pixels_passes_through() -> None:
    script = b"<script>alert(1)</script>"
    for upload in (png_with_text(script), encoded("PNG") + HTML_PAGE):
        clean = sanitize_picture(upload)
        assert b"script" not in clean.png
        assert b"tEXt" not in clean.png
        assert b"html" not in clean.png


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2048))
def test_only_picture_refused_escapes_for_any_bytes(data: bytes) -> None:
    try:
        clean = sanitize_picture(data)
    except PictureRefused:
        return
    assert clean.png.startswith(PNG_SIGNATURE)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 400), st.binary(min_size=1, max_size=64))
def test_a_corrupted_png_is_refused_or_re_encoded(position: int, noise: bytes) -> None:
    good = encoded("PNG", (80, 80))
    broken = good[:position] + noise + good[position + len(noise) :]
    try:
        clean = sanitize_picture(broken)
    except PictureRefused:
        return
    assert _decoded(clean.png).size == (clean.width, clean.height)  # type: ignore[attr-defined]
