"""Merkle tree hashing, proofs and their verification as RFC 9162 (Certificate Transparency
2.0, section 2.1) defines them, over a store of complete subtrees.

A complete subtree of height `level` and index `i` covers leaves [i << level, (i + 1) << level).
A log only ever stores complete subtrees: each is final the moment its last leaf arrives, so a
row is written once and never changed. Any other range's hash (the right edge of a tree whose
size is not a power of two) is folded from the complete subtrees it splits into, so a proof
needs at most two lookups of O(log n) rows each.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence

Node = tuple[int, int]  # (level, index): level 0 is a leaf

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def complete_subtrees(start: int, end: int) -> list[Node]:
    """[start, end) as complete subtrees, left to right; `start` must be aligned, as every
    range in a proof is."""
    nodes: list[Node] = []
    width = end - start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from its complete subtrees' hashes, left to right."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make PATH(index, D[size]), from the leaf up (2.1.3.1)."""
    ranges: list[tuple[int, int]] = []
    low, high = 0, size
    while high - low > 1:
        k = _split(high - low)
        if index < low + k:
            ranges.append((low + k, high))
            high = low + k
        else:
            ranges.append((low, low + k))
            low += k
    return ranges[::-1]


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make PROOF(first, D[second]), in proof order (2.1.4.1)."""
    ranges: list[tuple[int, int]] = []
    low, high, whole = 0, second, True
    m = first
    while m != high - low:
        k = _split(high - low)
        if m <= k:
            ranges.append((low + k, high))
            high = low + k
        else:
            ranges.append((low, low + k))
            low += k
            m -= k
            whole = False
    if not whole:
        ranges.append((low, high))
    return ranges[::-1]


def range_hashes(
    ranges: Sequence[tuple[int, int]], lookup: Callable[[Iterable[Node]], dict[Node, bytes]]
) -> list[bytes]:
    """Each range's hash, folded from complete subtrees that `lookup` fetches in one go."""
    parts = [complete_subtrees(start, end) for start, end in ranges]
    found = lookup({node for part in parts for node in part})
    return [fold([found[node] for node in part]) for part in parts]


def completed_by(
    index: int, leaf: bytes, border: list[tuple[Node, bytes]]
) -> list[tuple[Node, bytes]]:
    """Append leaf `index` to a tree whose right border (its complete subtrees, left to right)
    is `border`: update the border in place and return the subtrees of height >= 1 that the
    leaf completes, which a store writes once."""
    completed: list[tuple[Node, bytes]] = []
    level, position, digest = 0, index, leaf
    while border and border[-1][0][0] == level:
        _, left = border.pop()
        digest = node_hash(left, digest)
        level, position = level + 1, position >> 1
        completed.append(((level, position), digest))
    border.append(((level, position), digest))
    return completed


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does `proof` show leaf hash `leaf` at `index` in the tree `root`?"""
    if index >= size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                while True:
                    fn, sn = fn >> 1, sn >> 1
                    if fn & 1 or fn == 0:
                        break
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(result, root)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree `second_root` of `second` leaves an append-only
    extension of the tree `first_root` of `first` leaves?"""
    if first > second:
        return False
    if first == second:
        return not proof and hmac.compare_digest(first_root, second_root)
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree is itself a proof node
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first_result = second_result = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first_result = node_hash(node, first_result)
            second_result = node_hash(node, second_result)
            if not fn & 1:
                while True:
                    fn, sn = fn >> 1, sn >> 1
                    if fn & 1 or fn == 0:
                        break
        else:
            second_result = node_hash(second_result, node)
        fn, sn = fn >> 1, sn >> 1
    return (
        sn == 0
        and hmac.compare_digest(first_result, first_root)
        and hmac.compare_digest(second_result, second_root)
    )


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, all in memory: for verifiers that fetched every entry."""
    border: list[tuple[Node, bytes]] = []
    for index, leaf in enumerate(leaves):
        completed_by(index, leaf, border)
    return fold([digest for _, digest in border]) if border else EMPTY_ROOT
