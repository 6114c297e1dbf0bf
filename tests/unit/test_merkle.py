"""RFC 9162 hashing and proofs against the published test vectors (the ones Certificate
Transparency implementations share), and against a brute-force tree for every small size."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from adwarden.transparency.merkle import (
    EMPTY_ROOT,
    Node,
    completed_by,
    consistency_ranges,
    fold,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    range_hashes,
    root_of,
    verify_consistency,
    verify_inclusion,
)

H = bytes.fromhex
LEAVES = [
    H(x)
    for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
INCLUSION = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
}  # fmt: skip
CONSISTENCY = {
    (1, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
    (6, 7): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}  # fmt: skip


class Store:
    """Complete subtrees kept as a log keeps them: written once, as each is completed."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.nodes: dict[Node, bytes] = {}
        border: list[tuple[Node, bytes]] = []
        for index, data in enumerate(leaves):
            digest = leaf_hash(data)
            self.nodes[(0, index)] = digest
            self.nodes.update(completed_by(index, digest, border))

    def lookup(self, nodes: Iterable[Node]) -> dict[Node, bytes]:
        return {node: self.nodes[node] for node in nodes}

    def root(self, size: int) -> bytes:
        return range_hashes([(0, size)], self.lookup)[0] if size else EMPTY_ROOT

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return range_hashes(inclusion_ranges(index, size), self.lookup)

    def consistency(self, first: int, second: int) -> list[bytes]:
        return range_hashes(consistency_ranges(first, second), self.lookup)


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162's recursive definition, word for word, as the reference."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def test_the_empty_tree_hashes_to_the_hash_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_of([]) == EMPTY_ROOT


@pytest.mark.parametrize("size", sorted(ROOTS))
def test_roots_match_the_published_vectors(size: int) -> None:
    store = Store(LEAVES)
    assert store.root(size).hex() == ROOTS[size]
    assert root_of([leaf_hash(leaf) for leaf in LEAVES[:size]]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size"), sorted(INCLUSION))
def test_inclusion_proofs_match_the_published_vectors(index: int, size: int) -> None:
    proof = Store(LEAVES).inclusion(index, size)
    assert [p.hex() for p in proof] == INCLUSION[(index, size)]
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, H(ROOTS[size]))


@pytest.mark.parametrize(("first", "second"), sorted(CONSISTENCY))
def test_consistency_proofs_match_the_published_vectors(first: int, second: int) -> None:
    proof = Store(LEAVES).consistency(first, second)
    assert [p.hex() for p in proof] == CONSISTENCY[(first, second)]
    assert verify_consistency(first, second, H(ROOTS[first]), H(ROOTS[second]), proof)


def test_every_proof_of_every_small_tree_verifies_and_no_wrong_one_does() -> None:
    leaves = [f"entry {i}".encode() for i in range(40)]
    store = Store(leaves)
    for size in range(1, len(leaves) + 1):
        root = store.root(size)
        assert root == mth(leaves[:size])
        for index in range(size):
            proof = store.inclusion(index, size)
            assert verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)
            other = (index + 1) % size
            if other != index:
                assert not verify_inclusion(leaf_hash(leaves[other]), index, size, proof, root)
        for first in range(1, size + 1):
            proof = store.consistency(first, size)
            first_root = store.root(first)
            assert verify_consistency(first, size, first_root, root, proof)
            if first < size:
                wrong = mth([b"changed", *leaves[1:first]])
                assert not verify_consistency(first, size, wrong, root, proof)


def test_a_proof_that_is_cut_short_or_padded_fails() -> None:
    store = Store(LEAVES)
    root = store.root(8)
    proof = store.inclusion(5, 8)
    leaf = leaf_hash(LEAVES[5])
    assert not verify_inclusion(leaf, 5, 8, proof[:-1], root)
    assert not verify_inclusion(leaf, 5, 8, [*proof, proof[0]], root)
    assert not verify_inclusion(leaf, 8, 8, proof, root)
    consistency = store.consistency(6, 8)
    assert not verify_consistency(6, 8, store.root(6), root, consistency[:-1])
    assert not verify_consistency(8, 6, root, store.root(6), consistency)


def test_fold_combines_left_to_right() -> None:
    a, b, c = (leaf_hash(bytes([i])) for i in range(3))
    assert fold([a, b, c]) == node_hash(a, node_hash(b, c))
