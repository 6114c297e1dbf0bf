"""The verifiable log: every published record as a leaf of an RFC 9162 Merkle tree.

Rows here are written with Core statements, once, and never changed: an entry (the leaf), the
complete subtrees it finishes, and a signed tree head per transaction that appended. The
log's size lives in one row that every appending transaction writes first, so appends are
serialised and indexes stay contiguous.

Beside the log: each decision's and each ad's bulk export lines as last rendered
(`DecisionExport`, `AdExport`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from adwarden.store.base import Base


class LogHead(Base):
    __tablename__ = "log_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, comment="entries in the log")


class LogEntry(Base):
    __tablename__ = "log_entries"
    __table_args__ = (Index("ix_log_entries_kind_subject_id", "kind", "subject_id"),)

    log_index: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(
        String(20), comment="statement, reversal, supersession or policy_version"
    )
    subject_id: Mapped[int] = mapped_column(comment="the decision or policy version it records")
    payload: Mapped[str] = mapped_column(Text, comment="canonical JSON: the leaf's data")
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    logged_at: Mapped[datetime] = mapped_column()


class LogNode(Base):
    """A complete subtree of height >= 1; leaves are the entries' own hashes."""

    __tablename__ = "log_nodes"

    node_key: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, comment="level << 48 | index"
    )
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class TreeHead(Base):
    __tablename__ = "tree_heads"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    key_id: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the signing key's SPKI")


class DecisionExport(Base):
    """A decision as each bulk export format gives it, rendered when it was published or
    changed (PostgreSQL only; `exports.py`), with the row versions it was rendered from."""

    __tablename__ = "decision_exports"

    # no foreign key: a kept line is a cache of the decision, never a reason to keep one
    decision_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(
        Text, comment="row versions of the decision and advertiser; URL; renderer"
    )
    appeals: Mapped[str] = mapped_column(Text, comment="row versions of the decision's appeals")
    jsonl: Mapped[str] = mapped_column(Text)
    csv: Mapped[str] = mapped_column(Text)
    tdb: Mapped[str] = mapped_column(Text)


class AdExport(Base):
    """An ad as each bulk export format gives it, rendered by `adwarden exports refresh`
    (PostgreSQL only; `exports.py`), with the row versions it was rendered from."""

    __tablename__ = "ad_exports"

    # no foreign key, as for decisions: a cache of the ad
    promoted_post_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(
        Text,
        comment="row versions of the post, campaign, account, advertiser and delivery; "
        "URL; renderer",
    )
    decisions: Mapped[str] = mapped_column(
        Text, comment="versions of the decisions on the post, campaign, account and advertiser"
    )
    # the ad's status changes by the clock when its campaign starts or ends: the line is
    # good until then
    valid_until: Mapped[datetime | None]
    jsonl: Mapped[str] = mapped_column(Text)
    csv: Mapped[str] = mapped_column(Text)
