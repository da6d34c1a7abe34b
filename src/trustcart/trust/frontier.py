"""An RFC 9162 Merkle tree kept as its frontier, so a log's root costs O(log n), not O(n). Pure.

A tree of ``n`` leaves is, left to right, a run of complete subtrees whose sizes are the powers
of two in ``n``'s binary expansion, largest first (``n = 6``: 4 + 2). The frontier keeps only
their roots. RFC 9162's ``MTH`` splits at the largest power of two below ``n``, which is exactly
the first subtree, so the root is the frontier folded from the right::

    MTH(7 leaves) = node(S[0:4], node(S[4:6], S[6:7]))

Appending a leaf merges equal-sized subtrees the way a binary counter carries: one ``node_hash``
per trailing one bit of ``n``, amortized less than one per append. The log keeps one frontier
per process and extends it with the leaf hashes other processes appended (``extend``), so
neither a tree head nor an append ever re-hashes the whole tree.

>>> from trustcart.trust.merkle import leaf_hash, merkle_root
>>> frontier = MerkleFrontier().extend([leaf_hash(x) for x in (b"a", b"b", b"c")])
>>> frontier.size, frontier.root() == merkle_root([b"a", b"b", b"c"])
(3, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from trustcart.trust.errors import LogError
from trustcart.trust.merkle import EMPTY_ROOT, HASH_SIZE, node_hash

__all__ = ["MerkleFrontier"]


@dataclass(frozen=True)
class MerkleFrontier:
    """The roots of the complete subtrees of a tree of ``size`` leaves, left to right."""

    size: int = 0
    nodes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise LogError("a frontier's size is a non-negative integer")
        if len(self.nodes) != self.size.bit_count():
            raise LogError("a frontier holds one root per one bit of its size")
        if not all(isinstance(n, bytes) and len(n) == HASH_SIZE for n in self.nodes):
            raise LogError(f"frontier roots are {HASH_SIZE}-byte hashes")

    def append(self, leaf_hash: bytes) -> MerkleFrontier:
        """The frontier after one more leaf (given as its RFC 9162 leaf hash)."""
        return self.extend((leaf_hash,))

    def extend(self, leaf_hashes: Iterable[bytes]) -> MerkleFrontier:
        """The frontier after appending ``leaf_hashes`` in order."""
        nodes, size = list(self.nodes), self.size
        for leaf in leaf_hashes:
            if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
                raise LogError(f"a leaf hash is {HASH_SIZE} bytes")
            node, carry = leaf, size
            while carry & 1:  # two complete subtrees of equal size become one
                node = node_hash(nodes.pop(), node)
                carry >>= 1
            nodes.append(node)
            size += 1
        return MerkleFrontier(size, tuple(nodes))

    def root(self) -> bytes:
        """The RFC 9162 Merkle tree hash of the whole tree."""
        if not self.nodes:
            return EMPTY_ROOT
        root = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            root = node_hash(node, root)
        return root
