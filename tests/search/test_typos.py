"""Typo tolerance: the speller's rules on a small vocabulary, then on the seeded catalog."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcart.core.errors import ValidationError
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.query import SearchQuery
from trustcart.search.typos import Correction, Speller, osa_distance

TERMS = {"milk": 40, "tea": 90, "t-shirt": 30, "hoodie": 12, "sunglasse": 8, "mild": 2, "shirt": 3}
ENGLISH = frozenset({"milk", "tea", "shirt", "sunglasses", "sparkling", "water", "mild"})


def speller() -> Speller:
    return Speller(lambda t: TERMS.get(t, 0), TERMS.items, dictionary=ENGLISH)


@pytest.mark.parametrize(
    ("typed", "corrected"),
    [
        ("mlik tea", "milk tea"),  # transposition
        ("tshirt", "t-shirt"),  # joined
        ("t shirt", "t-shirt"),  # split, one part too short to stand alone
        ("Black T Shirt", "Black t-shirt"),
        ("milktea", "milk tea"),  # two terms glued
        ("sunglases", "sunglasses"),  # omission, written back in its surface form
        ("hoodei", "hoodie"),
        ("hoddie", "hoodie"),  # insertion
        ("sparkling water", "sparkling water"),  # real words the catalog lacks: kept
        ("milk tea", "milk tea"),  # known words are never touched
        ("tea 500ml", "tea 500ml"),
        ("奶茶 mlik", "奶茶 milk"),  # Chinese is left as typed
    ],
)
def test_corrections(typed: str, corrected: str) -> None:
    assert speller().correct(typed).text == corrected


def test_the_most_frequent_term_wins_among_equally_close_ones() -> None:
    # "milx" is one edit from both "milk" (40) and "mild" (2)
    assert speller().correct("milx").text == "milk"


def test_changes_are_listed() -> None:
    result = speller().correct("mlik tshirt")
    assert result.changed
    assert result.changes == (("mlik", "milk"), ("tshirt", "t-shirt"))


def test_the_vocabulary_is_not_listed_when_every_word_is_known() -> None:
    listed = []

    def terms() -> list[tuple[str, int]]:
        listed.append(True)
        return list(TERMS.items())

    Speller(lambda t: TERMS.get(t, 0), terms, dictionary=ENGLISH).correct("milk tea")
    assert listed == []


def test_a_correction_must_say_what_it_changed() -> None:
    with pytest.raises(ValidationError):
        Correction("mlik", "milk")


@given(st.lists(st.sampled_from(sorted(TERMS)), max_size=6))
def test_text_made_of_known_terms_is_never_changed(words: list[str]) -> None:
    text = " ".join(words)
    assert speller().correct(text) == Correction(text, text)


@given(st.text("abcde", max_size=7), st.text("abcde", max_size=7))
def test_osa_distance_is_symmetric_and_zero_only_for_equal_words(a: str, b: str) -> None:
    assert osa_distance(a, b, 3) == osa_distance(b, a, 3)
    assert (osa_distance(a, b, 3) == 0) == (a == b)


def _titles(index: EmbeddedCatalogIndex, text: str, limit: int = 10) -> list[str]:
    return [h.title for h in index.search(SearchQuery(text, limit=limit)).hits]


def test_tshirt_returns_t_shirts_not_hoodies(seed_index: EmbeddedCatalogIndex) -> None:
    for typed in ("tshirt", "t shirt", "tshirts"):
        result = seed_index.search(SearchQuery(typed, limit=10))
        assert result.corrected_text is not None
        assert all("T-Shirt" in h.title for h in result.hits), typed


def test_mlik_tea_finds_milk_tea(seed_index: EmbeddedCatalogIndex) -> None:
    result = seed_index.search(SearchQuery("mlik tea", limit=10))
    assert result.corrected_text == "milk tea"
    assert all("Milk Tea" in h.title for h in result.hits)


def test_sunglases_finds_sunglasses(seed_index: EmbeddedCatalogIndex) -> None:
    assert all("Sunglasses" in t for t in _titles(seed_index, "sunglases"))


def test_correct_spelling_is_left_alone(seed_index: EmbeddedCatalogIndex) -> None:
    assert seed_index.search(SearchQuery("pearl milk tea")).corrected_text is None
