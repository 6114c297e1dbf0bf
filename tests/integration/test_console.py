"""The staff console over real HTTP, on SQLite and PostgreSQL: who may see it, the pages,
and the forms that review hits, decide tasks and answer appeals (four eyes, no boilerplate)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import select
from test_appeals import ARGUMENTS, POINTS, REAL_ANSWER, filed

from adwarden.appeals.models import Appeal
from adwarden.auth.models import User
from adwarden.domain.enums import (
    AdvertiserKind,
    AppealOutcome,
    AppealStatus,
    DecisionStatus,
    HitStatus,
    ListFormat,
    ListKind,
    TaskStatus,
)
from adwarden.enforcement.models import Decision, ReviewTask
from adwarden.enforcement.services import notice_of
from adwarden.registry.inputs import AdvertiserIn
from adwarden.registry.services import create_advertiser
from adwarden.screening.models import ScreeningHit
from adwarden.screening.services import import_and_screen
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from adwarden.web.views import PAGE_SIZE
from support import (
    PASSWORD,
    SYSTEM,
    Tenant,
    listed,
    live_server,
    make_staff,
    make_tenant,
    off_board,
    publish_default_policy,
)

SUMMARY = (
    "Vendor Ltd makes the products a national security directive names; the list entry was "
    "confirmed by a reviewer against the company's legal name."
)
DASH = "\N{EN DASH}"  # as the pager writes ranges
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@contextmanager
def console(db: Database) -> Iterator[httpx.Client]:
    """The real app over real HTTP; sign in with `sign_in`."""
    with (
        live_server(create_app(db)) as base,
        httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client,
    ):
        yield client


def sign_in(client: httpx.Client, email: str) -> None:
    client.cookies.clear()
    answer = client.post("/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 303, answer.text


def email_of(db: Database, user_id: int | None) -> str:
    with db.sessions() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.email


def open_hit(db: Database, tmp_path: Path, name: str) -> int:
    """Put `name` on a scrutiny list and leave the hit for a reviewer."""
    path = tmp_path / "scrutiny.csv"
    path.write_text(f"id,name\nscr-1,{name}\n", encoding="utf-8")
    with db.transaction() as session:
        import_and_screen(session, SYSTEM, path, ListFormat.csv, "test-scrutiny", ListKind.scrutiny)
    with db.sessions() as session:
        return session.scalars(
            select(ScreeningHit.id).where(
                ScreeningHit.subject_name == name, ScreeningHit.status == HitStatus.open
            )
        ).one()


def review_task(db: Database, tmp_path: Path, label: str) -> tuple[Tenant, int]:
    """A tenant on a directive list: clause 3.1 needs a person, so the policy opens a task."""
    tenant = make_tenant(db, label)
    listed(db, tmp_path, f"{label} Ltd", ListKind.directive)
    # the confirmation was judged as it committed
    with db.sessions() as session:
        [task_id] = session.scalars(
            select(ReviewTask.id).where(
                ReviewTask.advertiser_id == tenant.advertiser_id,
                ReviewTask.status == TaskStatus.open,
            )
        ).all()
        return tenant, task_id


def error_for(page: httpx.Response, name: str) -> str:
    """The text of the error shown next to field `name`."""
    found = re.search(rf'<p class="error" id="{re.escape(name)}-error">([^<]*)</p>', page.text)
    assert found, f"no error for {name} on the page"
    return html.unescape(found.group(1))


def next_link(page: httpx.Response) -> str:
    found = re.search(r'<a href="([^"]+)" rel="next">', page.text)
    assert found, "no next-page link"
    return html.unescape(found.group(1))


STATIC_PAGES = [
    "/staff",
    "/staff/hits",
    "/staff/tasks",
    "/staff/appeals",
    "/staff/decisions",
    "/staff/advertisers",
]


def test_only_staff_reach_the_console(db: Database) -> None:
    tenant = make_tenant(db, "Shop")
    # ids need not exist: who may look is settled before anything is looked up
    pages = [*STATIC_PAGES, "/staff/hits/1", "/staff/tasks/1", "/staff/appeals/1"]
    pages += ["/staff/decisions/1", "/staff/advertisers/1", "/staff/appeals/1/attachments/1"]
    posts = ["/staff/hits/1", "/staff/tasks/1/decide", "/staff/tasks/1/close"]
    posts += ["/staff/appeals/1/take", "/staff/appeals/1/assign", "/staff/appeals/1/decide"]
    posts += ["/staff/decisions/1/lift"]
    pages.append("/staff/appeals?status=decided&offset=25")
    with console(db) as client:
        for path in pages:
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == f"/login?{urlencode({'next': path})}"
        for path in posts:
            assert client.post(path, data={"reason": "x"}).status_code == 303, path
        sign_in(client, tenant.user_email)
        for path in pages:
            answer = client.get(path)
            assert answer.status_code == 403, path
            assert "This page is for staff." in answer.text
        for path in posts:
            assert client.post(path, data={"reason": "x"}).status_code == 403, path


def test_every_page_renders_for_a_reviewer(db: Database, tmp_path: Path) -> None:
    publish_default_policy(db)
    tenant, decision_id = off_board(db, tmp_path, "Vendor")
    (tmp_path / "task").mkdir()
    other, task_id = review_task(db, tmp_path / "task", "Other")
    make_tenant(db, "Watched")
    hit_id = open_hit(db, tmp_path, "Watched Ltd")
    appeal_id = filed(db, tenant, decision_id, files=[("shot.png", PNG)])
    reviewer = make_staff(db)
    with db.sessions() as session:
        appeal = session.get(Appeal, appeal_id)
        assert appeal is not None
        attachment_id = appeal.attachments[0].id
        notice = notice_of(session, decision_id).body_text
    with console(db) as client:
        sign_in(client, reviewer)
        expectations = {
            "/staff": ["Open screening hits", "Open appeals", "Overdue appeals"],
            "/staff/hits": [f'action="/staff/hits/{hit_id}"'],
            f"/staff/hits/{hit_id}": ["Review this hit", 'id="reason"'],
            "/staff/tasks": [f'href="/staff/tasks/{task_id}"', "Other Ltd"],
            f"/staff/tasks/{task_id}": ['<option value="3.1" selected>', "directive-1"],
            "/staff/appeals": [f'href="/staff/appeals/{appeal_id}"', "nobody yet"],
            "/staff/appeals?status=decided": ["No decided appeals."],
            f"/staff/appeals/{appeal_id}": [
                ARGUMENTS[0],
                f"/staff/appeals/{appeal_id}/attachments/{attachment_id}",
                html.escape(notice.splitlines()[0]),
                "Take this appeal",
                "Send the answer",
                "How your answer addresses argument 2: “",
            ],
            "/staff/decisions": [f'href="/staff/decisions/{decision_id}"'],
            "/staff/decisions?status=reversed": ["No decisions with status reversed."],
            f"/staff/decisions/{decision_id}": [
                "Statement of reasons",
                "DECISION_GROUND_INCOMPATIBLE_CONTENT",
                "Lift decision",
                f'href="/staff/appeals/{appeal_id}"',
            ],
            "/staff/advertisers": ["Vendor Ltd", "Other Ltd", "Watched Ltd"],
            "/staff/advertisers?q=VEND": ["Vendor Ltd"],
            f"/staff/advertisers/{tenant.advertiser_id}": [
                "not eligible for ads",
                "held by a decision",
                f'href="/staff/decisions/{decision_id}"',
                "(confirmed)",
            ],
            f"/staff/advertisers/{other.advertiser_id}": ["ads eligible", "Other spring"],
        }
        for path, wanted in expectations.items():
            page = client.get(path)
            assert page.status_code == 200, path
            for text in wanted:
                assert text in page.text, (path, text)
        assert "Other Ltd" not in client.get("/staff/advertisers?q=VEND").text
        download = client.get(f"/staff/appeals/{appeal_id}/attachments/{attachment_id}")
        assert download.status_code == 200
        assert download.content == PNG
        assert download.headers["content-type"] == "image/png"
        assert client.get("/staff/decisions/999999").status_code == 404
        assert client.get(f"/staff/appeals/{appeal_id}/attachments/999999").status_code == 404


def test_a_hit_review_needs_a_reason(db: Database, tmp_path: Path) -> None:
    make_tenant(db, "Watched")
    hit_id = open_hit(db, tmp_path, "Watched Ltd")
    reviewer = make_staff(db)
    with console(db) as client:
        sign_in(client, reviewer)
        refused = client.post(f"/staff/hits/{hit_id}", data={"review": "confirm", "reason": " "})
        assert refused.status_code == 422
        assert 'id="reason-error"' in refused.text
        assert error_for(refused, "reason") == "A review needs a reason"
        assert 'aria-invalid="true" aria-describedby="reason-hint reason-error"' in refused.text
        assert 'value="confirm" checked' in refused.text  # the choice is kept
        unchosen = client.post(f"/staff/hits/{hit_id}", data={"reason": "Same company."})
        assert unchosen.status_code == 422
        assert "Same company." in unchosen.text
        assert error_for(unchosen, "review").startswith("Choose whether")
        with db.sessions() as session:
            assert session.get(ScreeningHit, hit_id).status is HitStatus.open  # type: ignore[union-attr]

        done = client.post(
            f"/staff/hits/{hit_id}",
            data={"review": "dismiss", "reason": "A different company with the same name."},
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/staff/hits"
        assert f'action="/staff/hits/{hit_id}"' not in client.get("/staff/hits").text
        again = client.post(f"/staff/hits/{hit_id}", data={"review": "dismiss", "reason": "Again"})
        assert again.status_code == 409
        assert f"Hit {hit_id} is already dismissed" in again.text
    with db.sessions() as session:
        hit = session.get(ScreeningHit, hit_id)
        assert hit is not None
        assert hit.status is HitStatus.dismissed
        assert hit.review_reason == "A different company with the same name."
        assert email_of(db, hit.reviewed_by) == reviewer


def test_deciding_a_task_through_the_form(db: Database, tmp_path: Path) -> None:
    publish_default_policy(db)
    tenant, task_id = review_task(db, tmp_path, "Vendor")
    reviewer = make_staff(db)
    with console(db) as client:
        sign_in(client, reviewer)
        short = client.post(f"/staff/tasks/{task_id}/close", data={"resolution": "Fine."})
        assert short.status_code == 422
        assert error_for(short, "resolution").startswith("Say in at least 40 characters")
        vague = client.post(
            f"/staff/tasks/{task_id}/decide",
            data={"clause_id": "3.1", "facts_summary": "Clause 3.1."},
        )
        assert vague.status_code == 422
        assert error_for(vague, "facts_summary").startswith("Summarise the facts")
        assert ">Clause 3.1.</textarea>" in vague.text
        wrong = client.post(
            f"/staff/tasks/{task_id}/decide", data={"clause_id": "5.1", "facts_summary": SUMMARY}
        )
        assert wrong.status_code == 422
        assert error_for(wrong, "clause_id").startswith("Choose a clause")
        with db.sessions() as session:
            assert session.scalars(select(Decision)).all() == []

        made = client.post(
            f"/staff/tasks/{task_id}/decide", data={"clause_id": "3.1", "facts_summary": SUMMARY}
        )
        assert made.status_code == 303
        with db.sessions() as session:
            decision = session.scalars(select(Decision)).one()
            assert made.headers["location"] == f"/staff/decisions/{decision.id}"
            assert (decision.clause_id, decision.review_task_id) == ("3.1", task_id)
            assert decision.subject_id == tenant.advertiser_id
            assert decision.facts_summary == SUMMARY
            assert email_of(db, decision.decided_by) == reviewer
            assert session.get(ReviewTask, task_id).status is TaskStatus.decided  # type: ignore[union-attr]
            decision_id = decision.id
        page = client.get(made.headers["location"])
        assert page.status_code == 200
        assert SUMMARY in html.unescape(page.text)
        again = client.post(
            f"/staff/tasks/{task_id}/decide", data={"clause_id": "3.1", "facts_summary": SUMMARY}
        )
        assert again.status_code == 409
        assert f"Review task {task_id} is already decided" in again.text

        # lifting it from its page: a reason is required, and "reversed" is kept
        blank = client.post(f"/staff/decisions/{decision_id}/lift", data={"reversed": "yes"})
        assert blank.status_code == 422
        assert error_for(blank, "reason") == "Say why the decision ends"
        assert 'name="reversed" value="yes" checked' in blank.text
        lifted = client.post(
            f"/staff/decisions/{decision_id}/lift",
            data={"reason": "The directive entry was withdrawn.", "reversed": "yes"},
        )
        assert lifted.status_code == 303
    with db.sessions() as session:
        lifted_decision = session.get(Decision, decision_id)
        assert lifted_decision is not None
        assert lifted_decision.status is DecisionStatus.reversed


def test_an_appeal_four_eyes_then_no_boilerplate_then_an_answer(
    db: Database, tmp_path: Path
) -> None:
    publish_default_policy(db)
    tenant, decision_id = off_board(db, tmp_path, "Vendor")
    appeal_id = filed(db, tenant, decision_id)
    with db.sessions() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        decider = email_of(db, decision.decided_by)
        notice = notice_of(session, decision_id).body_text
    four_eyes = f"took part in decision {decision_id}; an appeal goes to someone who did not"
    second = make_staff(db)
    url = f"/staff/appeals/{appeal_id}"
    answer = {"outcome": "upheld", "answer": REAL_ANSWER, "points-0": POINTS[0]}
    answer["points-1"] = POINTS[1]
    with console(db) as client:
        sign_in(client, decider)
        assert "You took part in decision" in client.get(url).text
        taken = client.post(f"{url}/take")
        assert taken.status_code == 409
        assert f"{decider} {four_eyes} (four eyes)" in html.unescape(taken.text)
        assert 'role="alert"' in taken.text
        answered = client.post(f"{url}/decide", data=answer)
        assert answered.status_code == 403
        assert four_eyes in html.unescape(answered.text)
        assert REAL_ANSWER in html.unescape(answered.text)  # the typed text is kept

        sign_in(client, second)
        assert "You took part in decision" not in client.get(url).text
        boilerplate = client.post(f"{url}/decide", data=answer | {"answer": notice})
        assert boilerplate.status_code == 422
        assert 'id="answer-error"' in boilerplate.text
        assert error_for(boilerplate, "answer").startswith(
            f"The answer repeats the notice for decision {decision_id}"
        )
        assert POINTS[1] in boilerplate.text
        unanswered = client.post(f"{url}/decide", data=answer | {"points-1": " "})
        assert unanswered.status_code == 422
        assert error_for(unanswered, "points-1") == "Say how the answer addresses argument 2"
        with db.sessions() as session:
            assert session.get(Appeal, appeal_id).status is AppealStatus.open  # type: ignore[union-attr]

        taken = client.post(f"{url}/take")
        assert taken.status_code == 303
        sent = client.post(f"{url}/decide", data=answer)
        assert sent.status_code == 303
        assert sent.headers["location"] == url
        page = client.get(url)
        assert page.status_code == 200
        assert "The answer: upheld" in page.text
        text = html.unescape(page.text)
        assert REAL_ANSWER in text
        assert f"“{ARGUMENTS[0]}”</p><p>{POINTS[0]}" in text
        assert "Send the answer" not in text
        decided = client.get("/staff/appeals", params={"status": "decided"})
        assert f'href="{url}"' in decided.text
    with db.sessions() as session:
        appeal = session.get(Appeal, appeal_id)
        assert appeal is not None
        assert (appeal.status, appeal.outcome) == (AppealStatus.decided, AppealOutcome.upheld)
        assert email_of(db, appeal.decided_by) == second
        assert [p["addressed"] for p in appeal.points or []] == POINTS


def test_the_queue_marks_and_escalates_overdue_appeals(db: Database, tmp_path: Path) -> None:
    publish_default_policy(db)
    tenant, decision_id = off_board(db, tmp_path, "Late")
    appeal_id = filed(db, tenant, decision_id, now=utcnow() - timedelta(days=8))
    with console(db) as client:
        sign_in(client, make_staff(db))
        queue = client.get("/staff/appeals")
        assert queue.status_code == 200
        row = re.search(rf'href="/staff/appeals/{appeal_id}".*?</tr>', queue.text, re.S)
        assert row
        assert '<span class="overdue">OVERDUE</span>' in row.group(0)
        assert "Escalated" in row.group(0)
    with db.sessions() as session:
        assert session.get(Appeal, appeal_id).escalated_at is not None  # type: ignore[union-attr]


def test_lists_page_through_their_rows(db: Database) -> None:
    with db.transaction() as session:
        for number in range(PAGE_SIZE + 5):
            create_advertiser(
                session,
                SYSTEM,
                AdvertiserIn(kind=AdvertiserKind.organization, name=f"Paged {number:03d}"),
            )
    with console(db) as client:
        sign_in(client, make_staff(db))
        first = client.get("/staff/advertisers", params={"q": "paged"})
        assert first.status_code == 200
        assert f"1{DASH}{PAGE_SIZE} of {PAGE_SIZE + 5} advertisers" in first.text
        assert "Paged 000" in first.text
        assert f"Paged {PAGE_SIZE:03d}" not in first.text
        second_url = next_link(first)
        assert "q=paged" in second_url
        second = client.get(second_url)
        assert second.status_code == 200
        assert f"{PAGE_SIZE + 1}{DASH}{PAGE_SIZE + 5} of {PAGE_SIZE + 5} advertisers" in second.text
        assert f"Paged {PAGE_SIZE:03d}" in second.text
        assert "Paged 000" not in second.text
        assert 'rel="next"' not in second.text
        assert 'rel="prev"' in second.text
