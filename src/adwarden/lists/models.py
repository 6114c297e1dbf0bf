"""Tables for watch lists, their imported versions and their entries.

Entries are never updated in place or deleted: an import closes the rows that
left the list or changed (`removed_in`) and inserts new rows (`added_in`), so
every past version of a list can be read back and every hit traced to the row
it was made against.
"""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from adwarden.domain.enums import EntityType, ListFormat, ListKind
from adwarden.store.base import Base, Record, enum_type


class WatchList(Record, Base):
    """A list names are screened against: OFAC SDN, a directive, the platform's own."""

    __tablename__ = "watch_lists"

    slug: Mapped[str] = mapped_column(
        String(64), unique=True, comment="the id people type, e.g. ofac-sdn"
    )
    kind: Mapped[ListKind] = mapped_column(enum_type(ListKind))

    versions: Mapped[list[ListVersion]] = relationship(
        back_populates="watch_list", order_by="ListVersion.number"
    )


class ListVersion(Record, Base):
    """One import of a list: its content hash and what changed since the version before."""

    __tablename__ = "list_versions"
    __table_args__ = (
        UniqueConstraint("list_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint(
            "entry_count >= 0 AND added >= 0 AND removed >= 0 AND changed >= 0",
            name="counts_not_negative",
        ),
    )

    list_id: Mapped[int] = mapped_column(ForeignKey("watch_lists.id"), index=True)
    number: Mapped[int] = mapped_column(comment="1, 2, ... within the list")
    format: Mapped[ListFormat] = mapped_column(enum_type(ListFormat))
    source: Mapped[str] = mapped_column(Text, comment="the file or folder as given to the import")
    content_hash: Mapped[str] = mapped_column(
        String(64), comment="sha256 over the sorted content hashes of the entries"
    )
    entry_count: Mapped[int] = mapped_column()
    added: Mapped[int] = mapped_column(comment="entries not in the previous version")
    removed: Mapped[int] = mapped_column(comment="entries of the previous version now gone")
    changed: Mapped[int] = mapped_column(comment="entries whose content differs")
    imported_by: Mapped[str] = mapped_column(String(200), comment="actor label")

    watch_list: Mapped[WatchList] = relationship(back_populates="versions")


class ListEntryRecord(Record, Base):
    """One entry as one version range of its list published it.

    `removed_in` is NULL while the entry is current; a changed entry closes its
    row and gets a new one with the same `entry_id`.
    """

    __tablename__ = "list_entries"
    __table_args__ = (
        Index("ix_list_entries_list_id_removed_in", "list_id", "removed_in"),
        Index("ix_list_entries_list_id_entry_id", "list_id", "entry_id"),
        CheckConstraint("removed_in IS NULL OR removed_in > added_in", name="removed_after_added"),
    )

    list_id: Mapped[int] = mapped_column(ForeignKey("watch_lists.id"))
    entry_id: Mapped[str] = mapped_column(String(200), comment="the list's own id for the entry")
    entity_type: Mapped[EntityType] = mapped_column(enum_type(EntityType))
    name: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    countries: Mapped[list[str]] = mapped_column(JSON, default=list, comment="ISO 3166-1 alpha-2")
    birth_dates: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="ISO 8601 prefixes: 1965, 1965-03, 1965-03-04"
    )
    programs: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_url: Mapped[str | None] = mapped_column(Text)
    listed_on: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), comment="ListEntry.content_hash()")
    added_in: Mapped[int] = mapped_column(comment="version number the row appeared in")
    removed_in: Mapped[int | None] = mapped_column(
        comment="version number the row stopped being current in; NULL while current"
    )
