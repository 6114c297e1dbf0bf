"""Continuous screening and the hit review lifecycle, on both engines, through the services."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adwarden.audit.models import AuditEvent
from adwarden.domain.enums import AdvertiserKind, HitStatus, ListFormat, ListKind
from adwarden.domain.errors import ConflictError, InvalidInputError
from adwarden.registry.inputs import AdvertiserIn, AdvertiserPatch, NameIn, PersonIn
from adwarden.registry.services import (
    add_advertiser_name,
    create_advertiser,
    create_person,
    update_advertiser,
)
from adwarden.screening.models import ScreeningHit
from adwarden.screening.services import HitReview, import_and_screen, review_hit
from adwarden.store.engine import Database
from support import SYSTEM

HEADER = "id,name,type,aliases,country,program,source_url,listed_on,notes\n"
DIRECTIVE = (
    "bod-1,AO Kaspersky Lab,organization,Лаборатория Касперского;Kaspersky Lab,RU,BOD 17-01,"
    "https://www.cisa.gov/,2017-09-13,Kaspersky-branded products\n"
    "fx-1,Zebulon Quartzfield Holdings,organization,,,,,,fictional\n"
)
SCRUTINY = "kr-1,Ivan Fictivny Testerov,person,Иван Тестеров,RU,,,,born 1961\n"


def write_list(folder: Path, name: str, rows: str) -> Path:
    path = folder / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def import_csv(db: Database, path: Path, slug: str, kind: ListKind) -> int:
    with db.transaction() as session:
        _, count = import_and_screen(session, SYSTEM, path, ListFormat.csv, slug, kind)
    return count


def hits(db: Database) -> list[ScreeningHit]:
    with db.sessions() as session:
        rows = session.scalars(select(ScreeningHit).order_by(ScreeningHit.id)).all()
        session.expunge_all()
        return list(rows)


def audits(db: Database, verb: str) -> int:
    with db.sessions() as session:
        return (
            session.scalar(
                select(func.count()).where(AuditEvent.action.like(f"%:screening_hit:{verb}"))
            )
            or 0
        )


def new_advertiser(db: Database, name: str, country: str = "RU") -> int:
    with db.transaction() as session:
        data = AdvertiserIn(kind=AdvertiserKind.organization, name=name, country=country)
        return create_advertiser(session, SYSTEM, data).id


def test_a_new_advertiser_is_screened_against_every_list(db: Database, tmp_path: Path) -> None:
    import_csv(db, write_list(tmp_path, "bod.csv", DIRECTIVE), "dhs-bod-17-01", ListKind.directive)
    kaspersky = new_advertiser(db, "Kaspersky Lab")
    new_advertiser(db, "Harbour Bakery Ltd")  # plainly fictional, on no list

    found = hits(db)
    assert [(h.subject_type, h.subject_id, h.entry_id) for h in found] == [
        ("advertiser", kaspersky, "bod-1")
    ]
    hit = found[0]
    assert hit.status is HitStatus.open
    assert hit.score >= 0.85
    assert "kaspersky = kaspersky" in hit.explanation
    assert "country RU on both" in hit.explanation
    assert hit.list_version == 1
    assert audits(db, "create") == 1


def test_a_person_is_screened_with_date_of_birth(db: Database, tmp_path: Path) -> None:
    import_csv(db, write_list(tmp_path, "kr.csv", SCRUTINY), "scrutiny", ListKind.scrutiny)
    with db.transaction() as session:
        same = create_person(session, SYSTEM, PersonIn(name="Ivan Testerov", country="RU")).id
        cyrillic = create_person(session, SYSTEM, PersonIn(name="Иван Фиктивный Тестеров")).id
    found = {h.subject_id: h for h in hits(db)}
    assert set(found) == {same, cyrillic}
    assert "transliterated from Cyrillic" in found[cyrillic].explanation


def test_a_new_list_version_screens_only_what_it_added_or_changed(
    db: Database, tmp_path: Path
) -> None:
    northwind = new_advertiser(db, "Northwind Antivirus GmbH", country="DE")
    import_csv(db, write_list(tmp_path, "v1.csv", DIRECTIVE), "dhs-bod-17-01", ListKind.directive)
    assert hits(db) == []

    added = DIRECTIVE + "fx-2,Northwind Antivirus,organization,,DE,,,,fictional\n"
    count = import_csv(
        db, write_list(tmp_path, "v2.csv", added), "dhs-bod-17-01", ListKind.directive
    )
    assert count == 1
    [hit] = hits(db)
    assert (hit.subject_id, hit.entry_id, hit.list_version) == (northwind, "fx-2", 2)
    assert "legal form GmbH set aside" in hit.explanation
    # the unchanged entries were not screened again: nothing else was written
    assert audits(db, "rescreen") == 0


def test_a_dismissed_hit_stays_dismissed_until_the_names_change(
    db: Database, tmp_path: Path
) -> None:
    import_csv(db, write_list(tmp_path, "bod.csv", DIRECTIVE), "dhs-bod-17-01", ListKind.directive)
    advertiser = new_advertiser(db, "Kaspersky Lab")
    [hit] = hits(db)
    with db.transaction() as session:
        review_hit(
            session, SYSTEM, hit.id, HitReview.dismiss, "a namesake reseller, not the vendor"
        )

    # screened again for another reason (the country changed): the dismissal holds
    with db.transaction() as session:
        update_advertiser(session, SYSTEM, advertiser, AdvertiserPatch(country="DE"))
    [after] = hits(db)
    assert after.status is HitStatus.dismissed
    assert after.review_reason == "a namesake reseller, not the vendor"

    # a new name is new evidence: the hit opens again for a second look
    with db.transaction() as session:
        add_advertiser_name(session, SYSTEM, advertiser, NameIn(name="AO Kaspersky Lab"))
    [reopened] = hits(db)
    assert reopened.status is HitStatus.open
    assert audits(db, "reopen") == 1


def test_a_changed_entry_reopens_its_hit_and_a_removed_one_closes_it(
    db: Database, tmp_path: Path
) -> None:
    import_csv(db, write_list(tmp_path, "v1.csv", DIRECTIVE), "dhs-bod-17-01", ListKind.directive)
    new_advertiser(db, "Kaspersky Lab")
    [hit] = hits(db)
    with db.transaction() as session:
        review_hit(session, SYSTEM, hit.id, HitReview.confirm, "the vendor the directive names")

    changed = DIRECTIVE.replace(
        "Kaspersky-branded products", "Kaspersky-branded products and services"
    )
    import_csv(db, write_list(tmp_path, "v2.csv", changed), "dhs-bod-17-01", ListKind.directive)
    [reopened] = hits(db)
    assert (reopened.status, reopened.list_version, reopened.entry_added_in) == (
        HitStatus.open,
        2,
        2,
    )

    without = "".join(line + "\n" for line in changed.splitlines() if not line.startswith("bod-1"))
    import_csv(db, write_list(tmp_path, "v3.csv", without), "dhs-bod-17-01", ListKind.directive)
    [closed] = hits(db)
    assert closed.status is HitStatus.closed
    with db.sessions() as session:
        reason = session.scalar(
            select(AuditEvent.reason).where(AuditEvent.action.like("%:screening_hit:close"))
        )
    assert reason == "entry bod-1 left dhs-bod-17-01 in version 3"


def test_a_review_needs_a_reason_and_a_change(db: Database, tmp_path: Path) -> None:
    import_csv(db, write_list(tmp_path, "bod.csv", DIRECTIVE), "dhs-bod-17-01", ListKind.directive)
    new_advertiser(db, "Kaspersky Lab")
    [hit] = hits(db)
    with pytest.raises(InvalidInputError, match="needs a reason"), db.transaction() as session:
        review_hit(session, SYSTEM, hit.id, HitReview.confirm, "   ")
    with db.transaction() as session:
        review_hit(session, SYSTEM, hit.id, HitReview.confirm, "named by the directive")
    with pytest.raises(ConflictError, match="already confirmed"), db.transaction() as session:
        review_hit(session, SYSTEM, hit.id, HitReview.confirm, "again")
    assert audits(db, "confirm") == 1
    [stored] = hits(db)
    assert stored.status is HitStatus.confirmed
    assert stored.reviewed_at is not None


def test_a_date_of_birth_on_one_side_only_leaves_the_name_to_decide(
    db: Database, tmp_path: Path
) -> None:
    rows = "kr-2,Pyotr Fictivny Samplov,person,,RU,,,,\n"
    path = write_list(tmp_path, "kr.csv", rows)
    import_csv(db, path, "scrutiny", ListKind.scrutiny)
    with db.transaction() as session:
        create_person(
            session,
            SYSTEM,
            PersonIn(name="Peter Samplov", country="RU", birth_date=date(1990, 1, 1)),
        )
    [hit] = hits(db)  # the entry gives no date of birth, so the name alone decides
    assert "given-name equivalent" in hit.explanation
