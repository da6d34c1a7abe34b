"""How well an offer's words cover a query: the relevance every caller ranks by.

The index finds a candidate pool (BM25 and embeddings, fused); its scores depend on the
engine and the corpus, so they are not what a shopper's results are sorted by. The final order
is the share of query terms that the offer's words cover: a term found in a title (either
language) counts fully, one found only elsewhere (brand, category, attributes) counts half, so
"pearl milk tea" ranks Pearl Milk Tea above a milk tea sold by Pearl House. Terms are the same
``analysis.query_terms`` the index was queried with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from trustcart.search.analysis import is_cjk

TITLE_WEIGHT = 1.0
ELSEWHERE_WEIGHT = 0.5


def term_found(term: str, text: str) -> bool:
    """A Latin term matches at a word start ("shirt" finds "shirts", "xl" does not find "xxl");
    a Chinese term anywhere (Chinese has no word boundaries).

    >>> term_found("shirt", "t-shirts"), term_found("xl", "size xxl")
    (True, False)
    >>> term_found("奶茶", "珍珠奶茶")
    True
    """
    if is_cjk(term):
        return term in text
    return re.search(r"(?<![a-z0-9])" + re.escape(term), text) is not None


def coverage(terms: Sequence[str], title_text: str, other_text: str) -> float:
    """Share of ``terms`` covered: 1 per term in the title, 0.5 per term found only elsewhere.

    Both texts must be lowercased.

    >>> coverage(["pearl", "milk", "tea"], "pearl milk tea", "")
    1.0
    >>> coverage(["pearl", "milk", "tea"], "brown sugar milk tea", "pearl house")
    0.8333333333333334
    """
    if not terms:
        return 0.0
    total = 0.0
    for term in terms:
        if term_found(term, title_text):
            total += TITLE_WEIGHT
        elif term_found(term, other_text):
            total += ELSEWHERE_WEIGHT
    return total / len(terms)
