"""Is a hit a good match for the query? Lexical coverage and semantic similarity, calibrated.

A ranked list always has a first item, even when the catalog sells nothing like the query
("sparkling water" used to return an oolong). Callers need to tell "here is what you asked
for" from "nothing matches", so each hit carries two numbers:

* ``coverage``: the share of the query's terms that the offer contains, each term weighted by
  its BM25 inverse document frequency; a term no offer contains weighs the most, so one word
  that the catalog lacks pulls coverage down even when a common word matched;
* ``similarity``: the cosine between the query's and the offer's embeddings (``None`` when
  the model has no vector for the query).

``is_good_match`` adds them, ``coverage + max(0, similarity)``, and asks for at least
``MATCH_MIN``: full coverage alone passes; a synonym or another language ("墨镜" for
sunglasses, coverage 0) needs a clear similarity; half the words plus a fair similarity pass
together. ``MATCH_MIN`` = 0.65 is the middle of the range (0.62 to 0.66) that is best on the
labelled queries over the demo catalog; a generated catalog whose words are not in the seed
checks it (``scripts/eval_search_zh.py``, figures in docs/search.md). It is calibrated for the
default embedder; another model needs its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from trustcart.core.errors import ValidationError

MATCH_MIN = 0.65


def inverse_document_frequency(doc_freq: int, documents: int) -> float:
    """BM25's idf, ``ln(1 + (N - n + 0.5) / (n + 0.5))``: rarer terms weigh more.

    >>> round(inverse_document_frequency(0, 100), 3), round(inverse_document_frequency(50, 100), 3)
    (5.308, 0.693)
    """
    if doc_freq < 0 or documents < 0:
        raise ValidationError("document counts cannot be negative")
    documents = max(documents, doc_freq)
    return math.log(1.0 + (documents - doc_freq + 0.5) / (doc_freq + 0.5))


def weighted_coverage(weights: Mapping[str, float], matched: Iterable[str]) -> float:
    """Share of the query terms' weight found in an offer (0.0 for a query without terms).

    >>> weighted_coverage({"milk": 1.0, "tea": 1.0, "sparkling": 2.0}, ["milk", "tea"])
    0.5
    """
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(weights.get(t, 0.0) for t in set(matched)) / total


def is_good_match(coverage: float, similarity: float | None) -> bool:
    """The calibrated "this is what was asked for" rule (see the module docstring).

    >>> is_good_match(1.0, None), is_good_match(0.0, 0.74), is_good_match(0.0, 0.6)
    (True, True, False)
    """
    if not 0.0 <= coverage <= 1.0 + 1e-9:
        raise ValidationError("coverage is a share between 0 and 1")
    return coverage + max(0.0, similarity or 0.0) >= MATCH_MIN


@dataclass(frozen=True, slots=True)
class MatchEvidence:
    """Why a hit was judged a good match or not; ``good`` applies the calibrated rule."""

    coverage: float
    similarity: float | None

    def __post_init__(self) -> None:
        if not 0.0 <= self.coverage <= 1.0 + 1e-9:
            raise ValidationError("coverage is a share between 0 and 1")
        if self.similarity is not None and not -1.0 - 1e-6 <= self.similarity <= 1.0 + 1e-6:
            raise ValidationError("similarity is a cosine between -1 and 1")

    @property
    def good(self) -> bool:
        return is_good_match(self.coverage, self.similarity)
