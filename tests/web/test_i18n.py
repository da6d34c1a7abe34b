"""English and Chinese: the header decides until the person chooses, and no text is missing."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcart.web.i18n import LANGUAGES, Translator, choose_language, negotiate
from trustcart.web.messages import EN, MESSAGES, ZH

WEB = Path(__file__).resolve().parents[2] / "src" / "trustcart" / "web"
DYNAMIC = {  # keys built from a value in a template: "import.state." ~ job.state
    "import.state.": ("queued", "running", "done", "failed"),
    "order.state.": ("CONFIRMED", "PAID", "FULFILLED", "EXPIRED", "CANCELLED"),
    "roi.unavailable.": ("abandoned_intents", "llm_tokens"),
    "coupon.": ("fixed", "percent"),
    "tryon.kind.": ("upper", "eyewear", "headwear"),
}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR,fr;q=0.9", "en"),  # nothing supported: the default
        ("fr, zh-TW;q=0.5", "zh"),
        ("en;q=0.1, zh;q=0.9", "zh"),  # weights, not order
        ("zh;q=0, en;q=0.2", "en"),  # q=0 means "not this"
        ("*", "en"),
        ("ZH-hans", "zh"),  # case-insensitive
        ("", "en"),
        (None, "en"),
        ("zh;q=abc, en;q=0.3", "en"),  # a malformed weight counts as 0
    ],
)
def test_accept_language_is_negotiated(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_the_persons_choice_wins_over_the_header() -> None:
    assert choose_language("en", "zh-CN") == "en"
    assert choose_language("zh", "en-US") == "zh"
    assert choose_language("klingon", "zh-CN") == "zh"  # an unknown choice is ignored


@given(st.text(max_size=200))
def test_any_header_gives_a_supported_language(header: str) -> None:
    assert negotiate(header) in LANGUAGES


def test_both_languages_have_the_same_messages_with_the_same_fields() -> None:
    assert set(EN) == set(ZH)
    for key in EN:
        fields = {f for _, f, _, _ in string.Formatter().parse(EN[key]) if f}
        assert fields == {f for _, f, _, _ in string.Formatter().parse(ZH[key]) if f}, key
        assert ZH[key] != EN[key] or key == "app.name", f"{key} is not translated"


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*WEB.glob("templates/**/*.html"), *WEB.glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for key in re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", text):
            keys.update(f"{key}{value}" for value in DYNAMIC.get(key, ("",)))
        keys.update(re.findall(r'(?:title_key=|flash\([^,]+, )"([a-z_]+\.[a-z_.]+)"', text))
        keys.update(re.findall(r'"(login\.(?:wrong|throttled))"', text))
    return keys


def test_every_key_the_pages_use_is_in_the_catalog() -> None:
    used = _used_keys()
    assert len(used) > 100
    for lang in LANGUAGES:
        assert sorted(used - set(MESSAGES[lang])) == [], lang


def test_a_missing_key_is_an_error_not_a_fallback() -> None:
    with pytest.raises(KeyError):
        Translator("zh")("no.such.key")
    with pytest.raises(ValueError, match="unsupported"):
        Translator("fr")
