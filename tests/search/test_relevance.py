"""The good-match signal: a query with nothing like it in the catalog says so."""

from __future__ import annotations

import pytest

from trustcart.bench.search_quality_sets import SEED_NO_MATCH
from trustcart.core.errors import ValidationError
from trustcart.search.embedded import EmbeddedCatalogIndex
from trustcart.search.query import SearchQuery
from trustcart.search.relevance import (
    MATCH_MIN,
    MatchEvidence,
    inverse_document_frequency,
    is_good_match,
    weighted_coverage,
)


@pytest.mark.parametrize("text", ["sparkling water", "laptop", "汽水", "笔记本电脑", "跑鞋"])
def test_no_good_match_is_recognised(seed_index: EmbeddedCatalogIndex, text: str) -> None:
    result = seed_index.search(SearchQuery(text, limit=5))
    assert result.good_match is False
    assert all(h.good_match is False for h in result.hits)


def test_every_unanswerable_query_of_the_evaluation_is_refused(
    seed_index: EmbeddedCatalogIndex,
) -> None:
    judged = {t: seed_index.search(SearchQuery(t, limit=3)).good_match for t in SEED_NO_MATCH}
    assert [t for t, good in judged.items() if good] == []


@pytest.mark.parametrize("text", ["pearl milk tea", "珍珠奶茶", "墨镜", "mlik tea", "tshirt"])
def test_good_matches_are_recognised(seed_index: EmbeddedCatalogIndex, text: str) -> None:
    assert seed_index.search(SearchQuery(text, limit=5)).good_match is True


def test_category_browsing_is_not_judged(seed_index: EmbeddedCatalogIndex) -> None:
    result = seed_index.search(SearchQuery("", category_prefix="drinks", limit=3))
    assert result.hits
    assert all(h.evidence is None for h in result.hits)


def test_hits_say_their_judgement_in_json(seed_index: EmbeddedCatalogIndex) -> None:
    hit = seed_index.search(SearchQuery("sparkling water", limit=1)).hits[0]
    assert hit.to_json()["good_match"] is False


def test_a_word_no_offer_contains_weighs_most() -> None:
    weights = {
        "milk": inverse_document_frequency(50, 1000),
        "zz": inverse_document_frequency(0, 1000),
    }
    assert weighted_coverage(weights, ["milk"]) < 0.5


def test_the_rule_adds_coverage_and_similarity() -> None:
    assert is_good_match(MATCH_MIN, None)
    assert not is_good_match(0.0, MATCH_MIN - 0.01)
    assert not is_good_match(0.0, -1.0)


@pytest.mark.parametrize(("coverage", "similarity"), [(-0.1, 0.5), (1.5, None), (0.5, 1.5)])
def test_evidence_out_of_range_is_refused(coverage: float, similarity: float | None) -> None:
    with pytest.raises(ValidationError):
        MatchEvidence(coverage, similarity)


def test_coverage_out_of_range_is_refused_by_the_rule() -> None:
    with pytest.raises(ValidationError):
        is_good_match(1.5, None)


def test_negative_document_counts_are_refused() -> None:
    with pytest.raises(ValidationError):
        inverse_document_frequency(-1, 10)
