"""Typo tolerance: unknown Latin query words are rewritten to terms the index holds.

A query is corrected before it is analysed, so BM25, the embedding and the coverage of the
relevance signal all see the same words. Corrections come from the catalog's own vocabulary
(the index's terms and their document frequencies), never from a general dictionary, so a
correction always lands on something the catalog sells. Rules, in order, for each Latin word:

* a word the index knows is kept, and so are numbers, query stop words and words of one or
  two letters on their own;
* joined and split words: two adjacent words whose concatenation is an index term are joined,
  and hyphens do not count ("t shirt", "tshirt" -> "t-shirt"; "sun glasses" -> "sunglasses");
* a real English word that the catalog lacks ("sparkling") is kept: it is a sign that nothing
  matches, which the relevance signal must see, not a typo to hide;
* a word made of two index terms is split ("milktea" -> "milk tea");
* otherwise the nearest term by optimal string alignment distance (a transposition costs 1):
  at most 1 edit for words of 3 to 7 letters, 2 from 8 letters; the closest wins, then the most
  frequent, then the first alphabetically ("mlik" -> "milk", "sunglases" -> "sunglasses").

Candidates come from symmetric deletes (SymSpell, W. Garbe 2012): each index term is filed
under itself and its one-letter deletions, and a query word looks up itself and its deletions
of up to two letters; every pair within one edit shares a key, and a pair within two shares one
unless both words lost a letter. The table is built on the first word that needs it.
Terms are the analyzer's folded forms ("sunglasse"); a correction is written back in the
surface form the English dictionary knows ("sunglasses"), which the analyzer folds again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import combinations

from trustcart.core.errors import ValidationError

_LATIN_WORD = re.compile(r"[a-z0-9]+(?:[-+][a-z0-9]+)*")
_TERM = re.compile(r"[a-z][a-z0-9]*(?:[-+][a-z0-9]+)*")
MIN_LENGTH = 3


@dataclass(frozen=True, slots=True)
class Correction:
    """The query as typed, as corrected, and each rewrite (typed word, replacement)."""

    original: str
    text: str
    changes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if bool(self.changes) != (self.text != self.original):
            raise ValidationError("a correction changes the text exactly when it lists changes")

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def fold(word: str) -> str:
    """The analyzer's plural folding (``search.analysis``): a trailing ``s`` goes.

    >>> fold("sunglasses"), fold("glass"), fold("tea")
    ('sunglasse', 'glass', 'tea')
    """
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, or ``limit + 1`` once it exceeds ``limit``.

    >>> osa_distance("mlik", "milk", 2), osa_distance("sunglase", "sunglasse", 2)
    (1, 1)
    >>> osa_distance("tea", "coffee", 1)
    2
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def _deletions(word: str, depth: int) -> set[str]:
    found = {word}
    for n in range(1, depth + 1):
        for drop in combinations(range(len(word)), n):
            found.add("".join(c for i, c in enumerate(word) if i not in drop))
    return found


def max_edits(word: str) -> int:
    """Edits allowed for a word of this length: 0 below 3 letters, 1 up to 7, then 2."""
    if len(word) < MIN_LENGTH:
        return 0
    return 1 if len(word) < 8 else 2


@cache
def english_words() -> frozenset[str]:
    """Whole English words of the packaged MiniLM tokenizer (≈ 21,700), read once."""
    from trustcart.search.embedding import MODEL_DIR

    vocab = json.loads((MODEL_DIR / "tokenizer.json").read_text())["model"]["vocab"]
    return frozenset(w for w in vocab if _TERM.fullmatch(w))


class Speller:
    """Corrects query text against an index vocabulary.

    ``doc_freq`` answers for one (folded) term; ``terms`` lists every indexed term with its
    document frequency and is called once, the first time a word is unknown. ``stop_words``
    are never corrected, ``dictionary`` words are never edited (see the module rules).
    """

    def __init__(
        self,
        doc_freq: Callable[[str], int],
        terms: Callable[[], Iterable[tuple[str, int]]],
        *,
        stop_words: frozenset[str] = frozenset(),
        dictionary: frozenset[str] | None = None,
    ) -> None:
        self._doc_freq = doc_freq
        self._list_terms = terms
        self._stop_words = stop_words
        self._dictionary = dictionary
        self._frequencies: dict[str, int] | None = None
        self._joined: dict[str, str] = {}
        self._deletes: dict[str, list[str]] = {}

    def _english(self) -> frozenset[str]:
        if self._dictionary is None:
            self._dictionary = english_words()
        return self._dictionary

    def _vocabulary(self) -> dict[str, int]:
        if self._frequencies is None:
            frequencies = {t: n for t, n in self._list_terms() if n > 0 and _TERM.fullmatch(t)}
            for term in sorted(frequencies, key=lambda t: (-frequencies[t], t)):
                self._joined.setdefault(term.replace("-", ""), term)
                for key in _deletions(term, 1):
                    self._deletes.setdefault(key, []).append(term)
            self._frequencies = frequencies
        return self._frequencies

    def _known(self, word: str) -> bool:
        if self._frequencies is not None:
            return self._frequencies.get(fold(word), 0) > 0
        return self._doc_freq(fold(word)) > 0

    def _surface(self, term: str) -> str:
        english = self._english()
        if term not in english and term + "s" in english:
            return term + "s"
        return term

    def _joined_term(self, word: str) -> str | None:
        key = fold(word).replace("-", "")
        found = self._joined.get(key) or self._joined.get(word.replace("-", ""))
        return None if found is None else self._surface(found)

    def _split(self, word: str) -> str | None:
        frequencies = self._vocabulary()
        best: tuple[int, str] | None = None
        for cut in range(MIN_LENGTH, len(word) - MIN_LENGTH + 1):
            left, right = word[:cut], word[cut:]
            score = min(frequencies.get(left, 0), frequencies.get(fold(right), 0))
            if score > 0 and (best is None or score > best[0]):
                best = (score, f"{self._surface(left)} {self._surface(fold(right))}")
        return None if best is None else best[1]

    def _nearest(self, word: str) -> str | None:
        target = fold(word)
        limit = max_edits(target)
        if limit == 0:
            return None
        frequencies = self._vocabulary()
        candidates = {t for key in _deletions(target, limit) for t in self._deletes.get(key, ())}
        scored = [(osa_distance(target, t, limit), -frequencies[t], t) for t in candidates]
        within = sorted(s for s in scored if s[0] <= limit)
        return self._surface(within[0][2]) if within else None

    def _skip(self, word: str) -> bool:
        return word in self._stop_words or word.isdigit() or self._known(word)

    def correct(self, text: str) -> Correction:
        """Rewrite the unknown Latin words of ``text``; everything else is kept as typed.

        >>> terms = {"milk": 9, "tea": 12, "t-shirt": 5, "sunglasse": 3}
        >>> speller = Speller(lambda t: terms.get(t, 0), terms.items, dictionary=frozenset())
        >>> speller.correct("mlik tea").text
        'milk tea'
        >>> speller.correct("Black tshirt").text
        'Black t-shirt'
        """
        lowered = text.lower()
        words = list(_LATIN_WORD.finditer(lowered))
        pieces: list[str] = []
        changes: list[tuple[str, str]] = []
        position = 0
        i = 0
        while i < len(words):
            match = words[i]
            word = match.group()
            end, replacement = match.end(), None
            following = words[i + 1] if i + 1 < len(words) else None
            if following is not None and lowered[match.end() : following.start()].isspace():
                pair = self._pair(word, following.group())
                if pair is not None:
                    end, replacement = following.end(), pair
                    i += 1
            if replacement is None and not self._skip(word):
                replacement = self._single(word)
            if replacement is not None and replacement != word:
                pieces += [text[position : match.start()], replacement]
                changes.append((text[match.start() : end], replacement))
                position = end
            i += 1
        pieces.append(text[position:])
        return Correction(text, "".join(pieces), tuple(changes))

    def _pair(self, first: str, second: str) -> str | None:
        """Two typed words that are one index term once joined."""
        if first.isdigit() or second.isdigit():
            return None
        if self._known(first) and self._known(second) and len(first) >= MIN_LENGTH:
            return None  # two real catalog words ("milk tea") stay two words
        self._vocabulary()
        return self._joined_term(first + second)

    def _single(self, word: str) -> str | None:
        if len(word) < MIN_LENGTH:
            return None
        self._vocabulary()
        joined = self._joined_term(word)
        if joined is not None:
            return joined
        if word in self._english() or fold(word) in self._english():
            return None
        return self._split(word) or self._nearest(word)
