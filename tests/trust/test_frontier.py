"""The Merkle frontier gives RFC 9162 roots: Certificate Transparency known answers, then the
same root as the recursive definition for any leaves, appended one by one or in batches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcart.trust.errors import LogError
from trustcart.trust.frontier import MerkleFrontier
from trustcart.trust.merkle import EMPTY_ROOT, leaf_hash, root_from_leaf_hashes

# The transparency-dev vectors test_merkle.py uses (tests/vectors, or tests/trust/vectors once
# the tests live by package).
_HERE = Path(__file__).parent
VECTORS: dict[str, Any] = json.loads(
    next(p for p in (_HERE / "vectors", _HERE.parent / "vectors") if p.is_dir())
    .joinpath("merkle_ct.json")
    .read_text()
)
HASHES = [leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaves"]]
ROOTS = [bytes.fromhex(x) for x in VECTORS["roots"]]


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_root_of_every_prefix_matches_the_vectors(size: int) -> None:
    assert MerkleFrontier().extend(HASHES[:size]).root() == ROOTS[size]


def test_appending_one_at_a_time_passes_through_every_vector_root() -> None:
    frontier = MerkleFrontier()
    assert frontier.root() == EMPTY_ROOT == ROOTS[0]
    for size, leaf in enumerate(HASHES, start=1):
        frontier = frontier.append(leaf)
        assert (frontier.size, frontier.root()) == (size, ROOTS[size])
        assert len(frontier.nodes) == bin(size).count("1")


@given(st.lists(st.binary(max_size=8), max_size=70), st.data())
def test_frontier_root_equals_the_recursive_root(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [leaf_hash(leaf) for leaf in leaves]
    cut = data.draw(st.integers(0, len(hashes)))
    frontier = MerkleFrontier().extend(hashes[:cut]).extend(hashes[cut:])
    assert frontier.size == len(hashes)
    assert frontier.root() == root_from_leaf_hashes(hashes)


@pytest.mark.parametrize(
    ("size", "nodes"),
    [(-1, ()), (1, ()), (2, (b"\x00" * 32, b"\x00" * 32)), (1, (b"short",)), (True, ())],
)
def test_malformed_frontiers_are_refused(size: Any, nodes: tuple[bytes, ...]) -> None:
    with pytest.raises(LogError):
        MerkleFrontier(size, nodes)


def test_a_leaf_hash_must_be_32_bytes() -> None:
    with pytest.raises(LogError):
        MerkleFrontier().append(b"leaf")
