"""The examples in the search modules' docstrings are true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "trustcart.commerce.analysis",
    "trustcart.search.segmentation",
    "trustcart.search.chinese_terms",
    "trustcart.search.typos",
    "trustcart.search.relevance",
    "trustcart.search.glossary_embedding",
    "trustcart.search.evaluation",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0
