"""The append-only log of published records, its signed tree heads and its proofs.

Appending is serialised by the log head row, which every appending transaction writes
first: indexes stay contiguous, and each complete subtree is written once, by the append
that completes it. Each append signs a tree head for the size it leaves the log at, in the
same transaction, so no entry is ever visible without a signed head that covers it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    LargeBinary,
    any_,
    bindparam,
    cast,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from adwarden.domain.errors import InvalidInputError, NotFoundError
from adwarden.store.base import utcnow
from adwarden.transparency import keys
from adwarden.transparency.merkle import (
    EMPTY_ROOT,
    Node,
    complete_subtrees,
    completed_by,
    consistency_ranges,
    fold,
    inclusion_ranges,
    leaf_hash,
    range_hashes,
)
from adwarden.transparency.models import LogEntry, LogHead, LogNode, TreeHead

_INDEX_BITS = 48


def node_key(node: Node) -> int:
    level, index = node
    return level << _INDEX_BITS | index


def tree_head_message(timestamp_ms: int, tree_size: int, root: bytes) -> bytes:
    """What a tree head's signature covers: RFC 6962's TreeHeadSignature (version v1,
    signature type tree_hash, timestamp, tree size, root hash), byte for byte."""
    return struct.pack(">BBQQ", 0, 1, timestamp_ms, tree_size) + root


@dataclass(frozen=True)
class Item:
    kind: str
    subject_id: int
    data: bytes  # the leaf data: canonical JSON


def _read_statement(dialect: str) -> Any:
    """Size, leaves and inner nodes in one statement, built once per dialect; on PostgreSQL
    the key lists are arrays, so the SQL never changes and is prepared once per connection."""
    if dialect == "postgresql":
        leaves: Any = LogEntry.log_index == any_(bindparam("leaves", type_=ARRAY(BigInteger)))
        inner: Any = LogNode.node_key == any_(bindparam("inner", type_=ARRAY(BigInteger)))
    else:
        leaves = LogEntry.log_index.in_(bindparam("leaves", expanding=True))
        inner = LogNode.node_key.in_(bindparam("inner", expanding=True))
    return union_all(
        select(literal(0).label("tag"), LogHead.size, cast(null(), LargeBinary)),
        select(literal(1), LogEntry.log_index, LogEntry.leaf_hash).where(leaves),
        select(literal(2), LogNode.node_key, LogNode.hash).where(inner),
    )


_READ = {dialect: _read_statement(dialect) for dialect in ("postgresql", "sqlite")}


def _read(session: Session, nodes: Iterable[Node]) -> tuple[int, dict[Node, bytes]]:
    """The log's size and the hashes of complete subtrees, in one query: a proof is one round
    trip to the database."""
    wanted = set(nodes)
    leaves = sorted(index for level, index in wanted if level == 0)
    inner = {node_key(node): node for node in wanted if node[0] > 0}
    connection = session.connection()
    size, found = 0, {}
    rows = connection.execute(
        _READ[connection.dialect.name], {"leaves": leaves, "inner": sorted(inner)}
    )
    for tag, key, digest in rows:
        if tag == 0:
            size = key
        else:
            found[(0, key) if tag == 1 else inner[key]] = digest
    missing = wanted - found.keys()
    if missing:
        raise LookupError(f"the log is missing {len(missing)} stored subtrees, e.g. {min(missing)}")
    return size, found


def lookup(session: Session, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """The hashes of complete subtrees."""
    return _read(session, nodes)[1]


def lock(session: Session) -> int:
    """Take the log's lock for the rest of the transaction, as an append does first, and
    return its size: what the log holds, read after this, stays so until the commit."""
    return int(
        session.connection()
        .execute(update(LogHead).values(size=LogHead.size).returning(LogHead.size))
        .scalar_one()
    )


def append(session: Session, items: Sequence[Item], now: datetime | None = None) -> TreeHead:
    """Add `items` at the end of the log and sign the new tree head (timestamped once the
    log is locked, so later heads never carry earlier times)."""
    count = len(items)
    size = (
        session.connection()
        .execute(update(LogHead).values(size=LogHead.size + count).returning(LogHead.size))
        .scalar_one()
        - count
    )
    now = now or utcnow()
    border_nodes = complete_subtrees(0, size)
    known = lookup(session, border_nodes)
    border = [(node, known[node]) for node in border_nodes]
    entries: list[dict[str, object]] = []
    nodes: list[dict[str, object]] = []
    for offset, item in enumerate(items):
        index = size + offset
        digest = leaf_hash(item.data)
        entries.append(
            {
                "log_index": index,
                "kind": item.kind,
                "subject_id": item.subject_id,
                "payload": item.data.decode(),
                "leaf_hash": digest,
                "logged_at": now,
            }
        )
        nodes.extend(
            {"node_key": node_key(node), "hash": h}
            for node, h in completed_by(index, digest, border)
        )
    session.connection().execute(insert(LogEntry), entries)
    if nodes:
        session.connection().execute(insert(LogNode), nodes)
    return _sign(session, size + count, fold([h for _, h in border]), now)


def _sign(session: Session, size: int, root: bytes, now: datetime) -> TreeHead:
    timestamp_ms = int(now.timestamp() * 1000)
    head = TreeHead(
        tree_size=size,
        timestamp_ms=timestamp_ms,
        root_hash=root,
        signature=keys.sign(tree_head_message(timestamp_ms, size, root)),
        key_id=keys.public_key().key_id,
    )
    session.connection().execute(
        insert(TreeHead).values(
            tree_size=head.tree_size,
            timestamp_ms=head.timestamp_ms,
            root_hash=head.root_hash,
            signature=head.signature,
            key_id=head.key_id,
        )
    )
    return head


def size_of(session: Session) -> int:
    return session.connection().execute(select(LogHead.size)).scalar_one()


def latest_head(session: Session) -> TreeHead:
    head = (
        session.execute(select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(1))
        .scalars()
        .first()
    )
    if head is None:
        raise NotFoundError("tree head", "latest (nothing has been logged yet)")
    return head


def head_at(session: Session, size: int) -> TreeHead:
    head = session.get(TreeHead, size)
    if head is None:
        raise NotFoundError("signed tree head of size", size)
    return head


def root_at(session: Session, size: int) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    return range_hashes([(0, size)], lambda nodes: lookup(session, nodes))[0]


def _check_size(current: int, size: int, name: str) -> None:
    if not 0 < size <= current:
        raise InvalidInputError(f"{name} must be between 1 and the log's size, {current}", name)


def _proof(
    session: Session, ranges: Sequence[tuple[int, int]], size: int, name: str, leaf: int | None
) -> tuple[list[bytes], bytes | None]:
    """The hashes of `ranges` (and of leaf `leaf`) in a log at least `size` long."""
    parts = [complete_subtrees(start, end) for start, end in ranges]
    wanted = {node for part in parts for node in part}
    if leaf is not None:
        wanted.add((0, leaf))
    try:
        current, found = _read(session, wanted)
    except LookupError:
        # nodes past the log's end are missing: that the size is wrong is the error to give
        _check_size(size_of(session), size, name)
        raise
    _check_size(current, size, name)
    return [fold([found[node] for node in part]) for part in parts], (
        None if leaf is None else found[(0, leaf)]
    )


def inclusion_proof_and_leaf(session: Session, index: int, size: int) -> tuple[list[bytes], bytes]:
    """The audit path of entry `index` in the tree of `size` entries, and its leaf hash."""
    if not 0 <= index < size:
        raise InvalidInputError(f"index must be below the tree size, {size}", "index")
    path, leaf = _proof(session, inclusion_ranges(index, size), size, "tree_size", index)
    assert leaf is not None
    return path, leaf


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    return inclusion_proof_and_leaf(session, index, size)[0]


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    if not 0 < first <= second:
        raise InvalidInputError(f"first must be between 1 and second, {second}", "first")
    return _proof(session, consistency_ranges(first, second), second, "second", None)[0]


def entries(session: Session, start: int, end: int) -> Sequence[LogEntry]:
    return (
        session.execute(
            select(LogEntry)
            .where(LogEntry.log_index >= start, LogEntry.log_index < end)
            .order_by(LogEntry.log_index)
        )
        .scalars()
        .all()
    )


def entry_by_hash(session: Session, digest: bytes) -> LogEntry:
    found = session.execute(select(LogEntry).where(LogEntry.leaf_hash == digest)).scalars().first()
    if found is None:
        raise NotFoundError("log entry with leaf hash", digest.hex())
    return found
