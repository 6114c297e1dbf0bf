"""Importing lists as versions: diffs, hashes, atomicity, audit, and reading entries back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adwarden.audit.models import AuditEvent
from adwarden.audit.services import events_for
from adwarden.domain.enums import EntityType, ListFormat, ListKind
from adwarden.domain.errors import ConflictError, InvalidInputError, NotFoundError
from adwarden.lists.entries import ListFormatError
from adwarden.lists.models import ListEntryRecord, ListVersion, WatchList
from adwarden.lists.services import (
    ImportResult,
    current_entries,
    entries_by_ids,
    import_list,
    list_summaries,
    version_diff,
)
from adwarden.store.engine import Database
from support import SYSTEM

HEADER = "id,name,type,aliases,country,program,source_url,listed_on,notes\n"
FIRST = HEADER + (
    "d-1,Ivan Petrov,person,Ivan Petroff;I. Petrov,RU,DIR-1,,2018-01-02,\n"
    "d-2,Sputnik Media,organization,,RU,DIR-1,,,state outlet\n"
    "d-3,Acme Shipping,organization,,CY,DIR-2,,,\n"
)
# d-1 unchanged, d-2 changed (new alias), d-3 gone, d-4 new
SECOND = HEADER + (
    "d-4,Black Sea Trading,organization,,UA,DIR-2,,,\n"
    "d-1,Ivan Petrov,person,Ivan Petroff;I. Petrov,RU,DIR-1,,2018-01-02,\n"
    "d-2,Sputnik Media,organization,Sputnik News,RU,DIR-1,,,state outlet\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def do_import(
    db: Database,
    path: Path,
    slug: str = "directive-1",
    kind: ListKind = ListKind.directive,
) -> ImportResult:
    with db.transaction() as session:
        return import_list(session, SYSTEM, path, ListFormat.csv, slug, kind)


def count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_first_import_creates_the_list_version_entries_and_audit_row(
    db: Database, tmp_path: Path
) -> None:
    result = do_import(db, write(tmp_path, "d.csv", FIRST))
    version = result.version
    assert (version.slug, version.kind, version.number) == ("directive-1", ListKind.directive, 1)
    assert (version.entry_count, version.added, version.removed, version.changed) == (3, 3, 0, 0)
    assert version.format is ListFormat.csv
    assert version.imported_by == SYSTEM.label
    assert len(version.content_hash) == 64
    assert (result.added, result.removed, result.changed) == (["d-1", "d-2", "d-3"], [], [])
    with db.sessions() as session:
        stored = session.scalars(select(ListVersion)).one()
        assert stored.watch_list.slug == "directive-1"
        assert stored.content_hash == version.content_hash
        [event] = events_for(session, "list_version", stored.id)
        assert event.action == "system:list_version:imported"
        assert event.changes["content_hash"] == version.content_hash
        assert event.changes["entry_count"] == 3
        assert event.changes["added"] == 3
        assert event.changes["list"] == "directive-1"
        rows = session.scalars(select(ListEntryRecord).order_by(ListEntryRecord.entry_id)).all()
        assert [(r.entry_id, r.added_in, r.removed_in) for r in rows] == [
            ("d-1", 1, None),
            ("d-2", 1, None),
            ("d-3", 1, None),
        ]
        assert rows[0].aliases == ["Ivan Petroff", "I. Petrov"]
        assert rows[0].countries == ["RU"]
        assert rows[0].listed_on == "2018-01-02"
        assert rows[1].notes == "state outlet"


def test_a_changed_file_becomes_version_2_with_its_exact_diff(db: Database, tmp_path: Path) -> None:
    first = do_import(db, write(tmp_path, "v1.csv", FIRST))
    second = do_import(db, write(tmp_path, "v2.csv", SECOND))
    version = second.version
    assert version.number == 2
    assert (second.added, second.removed, second.changed) == (["d-4"], ["d-3"], ["d-2"])
    assert (version.entry_count, version.added, version.removed, version.changed) == (3, 1, 1, 1)
    assert version.content_hash != first.version.content_hash
    with db.sessions() as session:
        rows = session.scalars(select(ListEntryRecord).order_by(ListEntryRecord.id)).all()
        assert [(r.entry_id, r.added_in, r.removed_in) for r in rows] == [
            ("d-1", 1, None),
            ("d-2", 1, 2),  # the old content of d-2, closed
            ("d-3", 1, 2),  # left the list
            ("d-4", 2, None),
            ("d-2", 2, None),
        ]
        current = {entry.entry_id: entry for entry in current_entries(session)}
        assert sorted(current) == ["d-1", "d-2", "d-4"]
        assert current["d-2"].aliases == ("Sputnik News",)
        assert current["d-2"].added_in == 2
        assert current["d-1"].added_in == 1
        assert {entry.version for entry in current.values()} == {2}
        assert current["d-1"].entity_type is EntityType.person
        assert current["d-1"].names() == ("Ivan Petrov", "Ivan Petroff", "I. Petrov")
        assert current["d-1"].programs == ("DIR-1",)
        assert current["d-1"].kind is ListKind.directive

        again = version_diff(session, "directive-1", 2)
        assert (again.added, again.removed, again.changed) == (["d-4"], ["d-3"], ["d-2"])
        assert again.version == version
        assert version_diff(session, "directive-1", 1).added == ["d-1", "d-2", "d-3"]
        with pytest.raises(NotFoundError, match="directive-1 v3"):
            version_diff(session, "directive-1", 3)

        [summary] = list_summaries(session)
        assert summary.slug == "directive-1"
        assert [v.number for v in summary.versions] == [2, 1]
        assert summary.latest == version
        assert len(session.scalars(select(AuditEvent)).all()) == 2


def test_the_same_content_makes_a_version_with_no_changes(db: Database, tmp_path: Path) -> None:
    first = do_import(db, write(tmp_path, "v1.csv", FIRST))
    # the same entries in another order, with other whitespace: the same content
    lines = FIRST.splitlines()
    shuffled = "\n".join([lines[0], lines[3], lines[1].replace(",", " ,", 1), lines[2]]) + "\n"
    second = do_import(db, write(tmp_path, "v2.csv", shuffled))
    assert second.version.number == 2
    assert (second.added, second.removed, second.changed) == ([], [], [])
    assert (second.version.added, second.version.removed, second.version.changed) == (0, 0, 0)
    assert second.version.entry_count == 3
    assert second.version.content_hash == first.version.content_hash
    with db.sessions() as session:
        assert count(session, ListEntryRecord) == 3
        assert count(session, ListVersion) == 2


def test_a_list_keeps_its_kind(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", FIRST)
    do_import(db, path)
    with pytest.raises(ConflictError, match="directive-1 is a directive list") as caught:
        do_import(db, path, kind=ListKind.sanctions)
    assert "sanctions" in str(caught.value)
    with db.sessions() as session:
        assert count(session, ListVersion) == 1
        assert count(session, AuditEvent) == 1


@pytest.mark.parametrize("slug", ["", "OFAC", "ofac sdn", "ofac/sdn", "x" * 65, "ofac-sdn."])
def test_a_list_id_must_be_a_slug(db: Database, tmp_path: Path, slug: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        do_import(db, write(tmp_path, "d.csv", FIRST), slug=slug)
    assert caught.value.field == "list"


def test_a_malformed_file_leaves_nothing_behind(db: Database, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.csv", FIRST + "d-9,Someone,person,,XX,,,,\n")
    with pytest.raises(ListFormatError) as caught:
        do_import(db, bad)
    assert f"{bad}:5" in str(caught.value)
    missing = tmp_path / "missing.csv"
    with pytest.raises(ListFormatError, match=r"missing\.csv"):
        do_import(db, missing)
    with db.sessions() as session:
        for model in (WatchList, ListVersion, ListEntryRecord, AuditEvent):
            assert count(session, model) == 0, model
    # and on a later import, the list stays at the version it had
    do_import(db, write(tmp_path, "d.csv", FIRST))
    with pytest.raises(ListFormatError):
        do_import(db, bad)
    with db.sessions() as session:
        assert count(session, ListVersion) == 1
        assert count(session, AuditEvent) == 1


def test_an_import_lands_with_its_transaction_or_not_at_all(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", FIRST)

    def import_then_fail() -> None:
        with db.transaction() as session:
            import_list(session, SYSTEM, path, ListFormat.csv, "directive-1", ListKind.directive)
            raise RuntimeError("a failure after the import")

    with pytest.raises(RuntimeError, match="after the import"):
        import_then_fail()
    with db.sessions() as session:
        for model in (WatchList, ListVersion, ListEntryRecord, AuditEvent):
            assert count(session, model) == 0, model


def test_current_entries_by_list_and_by_id(db: Database, tmp_path: Path) -> None:
    do_import(db, write(tmp_path, "v1.csv", FIRST))
    do_import(db, write(tmp_path, "v2.csv", SECOND))
    other = HEADER + "s-1,Rossiya Segodnya,organization,,RU,,,,\n"
    do_import(db, write(tmp_path, "s.csv", other), slug="state-media", kind=ListKind.state_media)
    with db.sessions() as session:
        everything = list(current_entries(session))
        assert sorted((e.slug, e.entry_id) for e in everything) == [
            ("directive-1", "d-1"),
            ("directive-1", "d-2"),
            ("directive-1", "d-4"),
            ("state-media", "s-1"),
        ]
        only = list(current_entries(session, ["state-media"]))
        assert [(e.entry_id, e.kind, e.version) for e in only] == [("s-1", ListKind.state_media, 1)]
        assert list(current_entries(session, [])) == []
        found = entries_by_ids(session, "directive-1", ["d-4", "d-3", "d-1", "s-1", "nope"])
        # d-3 left the list and s-1 is on another one
        assert [e.entry_id for e in found] == ["d-1", "d-4"]
        assert entries_by_ids(session, "directive-1", []) == []
        summaries = list_summaries(session)
        assert [(s.slug, len(s.versions)) for s in summaries] == [
            ("directive-1", 2),
            ("state-media", 1),
        ]
        assert [s.slug for s in list_summaries(session, "state-media")] == ["state-media"]
        with pytest.raises(NotFoundError, match="list nope not found"):
            list_summaries(session, "nope")
