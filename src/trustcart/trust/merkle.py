"""RFC 9162 §2.1 Merkle trees: tree hashes, inclusion proofs and consistency proofs. Pure.

The hashing is Certificate Transparency's (RFC 6962, unchanged in RFC 9162) with SHA-256::

    leaf hash  = SHA-256(0x00 || leaf)
    node hash  = SHA-256(0x01 || left || right)
    MTH({})    = SHA-256("")
    MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n]))  with k the largest power of two < n

The 0x00 / 0x01 prefixes keep a leaf from ever being passed off as an inner node (second
preimage resistance). Generation works on the list of *leaf hashes* and follows the recursive
definitions of §2.1.3.1 and §2.1.4.1, passing index ranges instead of copying slices. Each
proof costs O(n) hash operations (the sibling subtrees it hashes are disjoint), so a log of a
few hundred thousand leaves is fine; a larger log would cache complete subtree hashes.

Verification follows the iterative algorithms of §2.1.3.2 and §2.1.4.2 to the letter and
raises ``InvalidProof`` for every failure: wrong sizes, wrong hash lengths, a proof too long or
too short, a root that does not match.

>>> leaves = [b"a", b"b", b"c"]
>>> hashes = [leaf_hash(x) for x in leaves]
>>> proof = inclusion_proof(hashes, 2)
>>> verify_inclusion(2, 3, hashes[2], proof, root_from_leaf_hashes(hashes))
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from trustcart.trust.errors import InvalidProof

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (``size`` >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def _range_root(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH of the leaves ``[start, end)`` given their leaf hashes; ``end - start`` >= 1."""
    if end - start == 1:
        return hashes[start]
    k = _split(end - start)
    return node_hash(_range_root(hashes, start, start + k), _range_root(hashes, start + k, end))


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of a tree whose leaf hashes are ``hashes`` (O(n))."""
    if not hashes:
        return EMPTY_ROOT
    return _range_root(hashes, 0, len(hashes))


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of raw leaf inputs."""
    return root_from_leaf_hashes([leaf_hash(leaf) for leaf in leaves])


def _path(hashes: Sequence[bytes], index: int, start: int, end: int) -> list[bytes]:
    # RFC 9162 §2.1.3.1 PATH(m, D[n]); siblings are listed from the leaf upwards.
    if end - start == 1:
        return []
    k = _split(end - start)
    if index < k:
        return [*_path(hashes, index, start, start + k), _range_root(hashes, start + k, end)]
    return [*_path(hashes, index - k, start + k, end), _range_root(hashes, start, start + k)]


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``len(hashes)`` leaves."""
    if not 0 <= index < len(hashes):
        raise InvalidProof(f"leaf index {index} is outside a tree of size {len(hashes)}")
    return _path(hashes, index, 0, len(hashes))


def _subproof(hashes: Sequence[bytes], old: int, start: int, end: int, whole: bool) -> list[bytes]:
    # RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b), with D = hashes[start:end] and m = old.
    size = end - start
    if old == size:
        return [] if whole else [_range_root(hashes, start, end)]
    k = _split(size)
    if old <= k:
        inner = _subproof(hashes, old, start, start + k, whole)
        return [*inner, _range_root(hashes, start + k, end)]
    inner = _subproof(hashes, old - k, start + k, end, False)
    return [*inner, _range_root(hashes, start, start + k)]


def consistency_proof(hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of ``old_size`` leaves is a prefix of the tree of ``hashes``."""
    if not 0 <= old_size <= len(hashes):
        raise InvalidProof(f"old size {old_size} is outside 0..{len(hashes)}")
    if old_size in (0, len(hashes)):
        return []
    return _subproof(hashes, old_size, 0, len(hashes), True)


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise InvalidProof(f"{what} must be {HASH_SIZE} bytes")


def root_from_inclusion_proof(
    index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes:
    """Recompute the root from a leaf hash and its audit path (RFC 9162 §2.1.3.2, steps 1-4)."""
    if isinstance(index, bool) or isinstance(tree_size, bool):
        raise InvalidProof("index and size must be integers")
    if not 0 <= index < tree_size:
        raise InvalidProof(f"leaf index {index} is outside a tree of size {tree_size}")
    _check_hash(leaf, "leaf hash")
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        _check_hash(p, "proof element")
        if sn == 0:
            raise InvalidProof("proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof("proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ``InvalidProof`` unless ``proof`` puts ``leaf`` (a leaf hash) at ``index``."""
    _check_hash(root, "root hash")
    if root_from_inclusion_proof(index, tree_size, leaf, proof) != root:
        raise InvalidProof("inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ``InvalidProof`` unless the tree ``old_root`` is a prefix of ``new_root``.

    RFC 9162 §2.1.4.2 for 0 < old < new; the edge cases are fixed here: equal sizes need equal
    roots and an empty proof; an empty old tree must have the empty root and an empty proof.
    """
    if isinstance(old_size, bool) or isinstance(new_size, bool) or not 0 <= old_size <= new_size:
        raise InvalidProof(f"sizes {old_size} -> {new_size} do not grow")
    _check_hash(old_root, "old root")
    _check_hash(new_root, "new root")
    for p in proof:
        _check_hash(p, "proof element")
    if old_size == new_size:
        if proof or old_root != new_root:
            raise InvalidProof("equal sizes need equal roots and an empty proof")
        return
    if old_size == 0:
        if proof or old_root != EMPTY_ROOT:
            raise InvalidProof("an empty tree is consistent with anything, by an empty proof")
        return
    if not proof:
        raise InvalidProof("empty consistency proof")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a subtree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise InvalidProof("consistency proof does not lead to both roots")
