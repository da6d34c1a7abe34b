"""RFC 9162 Merkle trees: Certificate Transparency known answers, then properties."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcart.trust.errors import InvalidProof
from trustcart.trust.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "merkle_ct.json").read_text()
)
LEAVES = [bytes.fromhex(x) for x in VECTORS["leaves"]]
HASHES = [leaf_hash(x) for x in LEAVES]
ROOTS = [bytes.fromhex(x) for x in VECTORS["roots"]]


def _hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


# -- known answers ----------------------------------------------------------------------------


def test_hash_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert EMPTY_ROOT.hex() == VECTORS["roots"][0]


def test_leaf_hashes_match_vectors() -> None:
    assert [h.hex() for h in HASHES] == VECTORS["node_hashes"][0]


@pytest.mark.parametrize("size", range(9))
def test_root_of_every_prefix(size: int) -> None:
    assert merkle_root(LEAVES[:size]) == ROOTS[size]
    assert root_from_leaf_hashes(HASHES[:size]) == ROOTS[size]


def test_complete_subtree_hashes() -> None:
    levels = VECTORS["node_hashes"]
    for level, hashes in enumerate(levels):
        width = 1 << level
        for position, expected in enumerate(hashes):
            subtree = LEAVES[position * width : (position + 1) * width]
            assert merkle_root(subtree).hex() == expected


@pytest.mark.parametrize(
    "vector", VECTORS["inclusion"], ids=lambda v: f"{v['index']}-of-{v['tree_size']}"
)
def test_inclusion_vectors(vector: dict[str, Any]) -> None:
    index, size, proof = vector["index"], vector["tree_size"], _hexes(vector["proof"])
    assert inclusion_proof(HASHES[:size], index) == proof
    verify_inclusion(index, size, HASHES[index], proof, ROOTS[size])
    assert root_from_inclusion_proof(index, size, HASHES[index], proof) == ROOTS[size]


@pytest.mark.parametrize(
    "vector", VECTORS["consistency"], ids=lambda v: f"{v['old_size']}-to-{v['new_size']}"
)
def test_consistency_vectors(vector: dict[str, Any]) -> None:
    old, new, proof = vector["old_size"], vector["new_size"], _hexes(vector["proof"])
    assert consistency_proof(HASHES[:new], old) == proof
    verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def _inclusion_probes(index: int, size: int, proof: list[bytes]) -> list[tuple[Any, ...]]:
    """The corruptions transparency-dev/merkle's verify_test.go tries, in our argument order."""
    root, leaf = ROOTS[size], HASHES[index]
    some = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes: list[tuple[Any, ...]] = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, leaf_hash(b"WrongLeaf"), proof, root),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, some),
        (index, size, leaf, [*proof, b""], root),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root),
        (index, size, leaf, [root, *proof], root),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        probes.append((index, size, leaf, flipped, root))
    if proof:
        probes.append((index, size, leaf, proof[:-1], root))
    if len(proof) > 1:
        probes.append((index, size, leaf, [proof[0], some, *proof[1:]], root))
    return probes


@pytest.mark.parametrize(
    "vector", VECTORS["inclusion"][1:], ids=lambda v: f"{v['index']}-of-{v['tree_size']}"
)
def test_inclusion_corruptions_fail(vector: dict[str, Any]) -> None:
    probes = _inclusion_probes(vector["index"], vector["tree_size"], _hexes(vector["proof"]))
    for probe in probes:
        with pytest.raises(InvalidProof):
            verify_inclusion(*probe)


@pytest.mark.parametrize(
    "vector", VECTORS["consistency"][1:], ids=lambda v: f"{v['old_size']}-to-{v['new_size']}"
)
def test_consistency_corruptions_fail(vector: dict[str, Any]) -> None:
    old, new, proof = vector["old_size"], vector["new_size"], _hexes(vector["proof"])
    r1, r2 = ROOTS[old], ROOTS[new]
    wrong = hashlib.sha256(b"WrongRoot").digest()
    probes: list[tuple[Any, ...]] = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, wrong, r2, proof),
        (old, new, r1, wrong, proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 16]) + proof[i][1:]
        probes.append((old, new, r1, r2, flipped))
    for probe in probes:
        with pytest.raises(InvalidProof):
            verify_consistency(*probe)


def test_inclusion_edge_cases() -> None:
    some = hashlib.sha256(b"x").digest()
    for index, size in [(0, 0), (1, 0), (2, 1), (-1, 1)]:
        with pytest.raises(InvalidProof):
            verify_inclusion(index, size, some, [], some)
    single = leaf_hash(b"data")
    verify_inclusion(0, 1, single, [], single)
    with pytest.raises(InvalidProof):
        verify_inclusion(0, 1, single, [], b"")
    with pytest.raises(InvalidProof):
        verify_inclusion(0, 1, b"", [], single)
    with pytest.raises(InvalidProof):
        inclusion_proof(HASHES, 8)


def test_consistency_edge_cases() -> None:
    some = hashlib.sha256(b"x").digest()
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    verify_consistency(3, 3, ROOTS[3], ROOTS[3], [])
    failing: list[tuple[Any, ...]] = [
        (1, 0, some, some, []),  # time travel
        (2, 1, some, some, []),
        (1, 2, ROOTS[1], ROOTS[2], []),  # empty proof for a real extension
        (3, 3, ROOTS[3], ROOTS[4], []),  # equal sizes, different roots
        (3, 3, ROOTS[3], ROOTS[3], [some]),  # equal sizes, non-empty proof
        (0, 5, some, ROOTS[5], []),  # the empty tree has one root
        (0, 5, EMPTY_ROOT, ROOTS[5], [some]),
    ]
    for probe in failing:
        with pytest.raises(InvalidProof):
            verify_consistency(*probe)
    assert consistency_proof(HASHES, 0) == []
    assert consistency_proof(HASHES, 8) == []
    with pytest.raises(InvalidProof):
        consistency_proof(HASHES, 9)


# -- properties -------------------------------------------------------------------------------

leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(leaf_lists)
def test_every_inclusion_proof_verifies(leaves: list[bytes]) -> None:
    hashes = [leaf_hash(x) for x in leaves]
    for size in range(1, len(hashes) + 1):
        root = root_from_leaf_hashes(hashes[:size])
        for index in range(size):
            proof = inclusion_proof(hashes[:size], index)
            verify_inclusion(index, size, hashes[index], proof, root)


@settings(max_examples=60, deadline=None)
@given(leaf_lists, st.data())
def test_any_bit_flip_breaks_inclusion(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [leaf_hash(x) for x in leaves]
    size = len(hashes)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(hashes, index)
    root = root_from_leaf_hashes(hashes)
    # Flip one bit anywhere in (leaf hash, proof..., root).
    parts = [hashes[index], *proof, root]
    which = data.draw(st.integers(0, len(parts) - 1))
    bit = data.draw(st.integers(0, 8 * 32 - 1))
    changed = bytearray(parts[which])
    changed[bit // 8] ^= 1 << (bit % 8)
    parts[which] = bytes(changed)
    with pytest.raises(InvalidProof):
        verify_inclusion(index, size, parts[0], parts[1:-1], parts[-1])


@settings(max_examples=60, deadline=None)
@given(leaf_lists)
def test_consistency_between_any_sizes(leaves: list[bytes]) -> None:
    hashes = [leaf_hash(x) for x in leaves]
    roots = [root_from_leaf_hashes(hashes[:n]) for n in range(len(hashes) + 1)]
    for new in range(len(hashes) + 1):
        for old in range(new + 1):
            proof = consistency_proof(hashes[:new], old)
            verify_consistency(old, new, roots[old], roots[new], proof)


@settings(max_examples=60, deadline=None)
@given(leaf_lists, st.data())
def test_any_bit_flip_breaks_consistency(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [leaf_hash(x) for x in leaves]
    new = len(hashes)
    if new < 2:
        return
    old = data.draw(st.integers(1, new - 1))
    proof = consistency_proof(hashes, old)
    parts = [root_from_leaf_hashes(hashes[:old]), root_from_leaf_hashes(hashes), *proof]
    which = data.draw(st.integers(0, len(parts) - 1))
    bit = data.draw(st.integers(0, 8 * 32 - 1))
    changed = bytearray(parts[which])
    changed[bit // 8] ^= 1 << (bit % 8)
    parts[which] = bytes(changed)
    with pytest.raises(InvalidProof):
        verify_consistency(old, new, parts[0], parts[1], parts[2:])


@settings(max_examples=40, deadline=None)
@given(leaf_lists, st.data())
def test_proof_for_another_leaf_fails(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [leaf_hash(x) for x in leaves]
    size = len(hashes)
    index = data.draw(st.integers(0, size - 1))
    other = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(hashes, index)
    root = root_from_leaf_hashes(hashes)
    if other == index:
        return
    # The same proof claimed for another position must fail (unless the tree has duplicate
    # subtrees that make the claim true, which distinct leaves rule out).
    if len(set(leaves)) == len(leaves):
        with pytest.raises(InvalidProof):
            verify_inclusion(other, size, hashes[index], proof, root)
