"""The advertiser area over real HTTP, on SQLite and PostgreSQL: an advertiser user reads its
standing, messages, decisions and appeals, files an appeal through the form, and sees the
answer; nobody else's records show, and only advertiser users get in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import func, select

from adwarden.appeals.models import Appeal, AppealAttachment
from adwarden.appeals.services import AppealAnswer, decide_appeal
from adwarden.domain.enums import AppealOutcome, NoticeKind
from adwarden.enforcement.models import Decision, Notice
from adwarden.enforcement.services import clause_of, notice_of
from adwarden.enforcement.statement import appeal_deadline
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from support import (
    PASSWORD,
    Tenant,
    appeal_as,
    live_server,
    make_decision,
    make_staff,
    make_tenant,
    off_board,
    publish_default_policy,
    staff_actor,
)

# plain words only, so each appears in the page exactly as typed (nothing to escape)
ARGUMENTS = [
    "The directive governs software on US federal systems and says nothing about advertising.",
    "Our ads broke no clause of the policy; the top post was about the WannaCry outbreak.",
]
POINTS = [
    "Agreed that the directive is about federal systems; clause 3.1 uses it as evidence only.",
    "Agreed that no ad broke a rule; the clause is about the vendor, not about the ads.",
]
ANSWER = (
    "We read the directive again. It bars the products from federal networks and names no "
    "risk to people who see an advertisement, so clause 3.1 was applied too broadly here and "
    "we reverse the decision."
)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
NOTHING_CHOSEN = ("attachments", ("", b"", "application/octet-stream"))
MY_PAGES = [
    "/my",
    "/my/messages",
    "/my/messages/1",
    "/my/decisions",
    "/my/decisions/1",
    "/my/appeals",
    "/my/appeals/1",
    "/my/appeals/1/attachments/1",
]


@contextmanager
def browser(db: Database, email: str | None = None) -> Iterator[httpx.Client]:
    """The real app over real HTTP, signed in through the login form when `email` is given."""
    with (
        live_server(create_app(db)) as base,
        httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client,
    ):
        if email is not None:
            signed_in = client.post("/login", data={"email": email, "password": PASSWORD})
            assert signed_in.status_code == 303, signed_in.text
        yield client


def filed(
    db: Database,
    tenant: Tenant,
    decision_id: int,
    files: list[tuple[str, bytes]] | None = None,
    now: datetime | None = None,
) -> int:
    return appeal_as(db, tenant, decision_id, ARGUMENTS, files=files, now=now)


def appeals_of(db: Database, decision_id: int) -> int:
    with db.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(Appeal).where(Appeal.decision_id == decision_id)
        )
        return count or 0


def test_each_page_shows_its_owner_its_own_records_and_nothing_of_others(
    db: Database, tmp_path: Path
) -> None:
    publish_default_policy(db)
    own, decision_id = off_board(db, tmp_path, "Vendor")
    # filed a month ago, so its answer is overdue now
    appeal_id = filed(db, own, decision_id, now=utcnow() - timedelta(days=30))
    other = make_tenant(db, "Bravo")
    other_decision = make_decision(db, other)
    other_appeal = filed(db, other, other_decision, files=[("proof.png", PNG)])
    with db.sessions() as session:
        notice = notice_of(session, decision_id)
        own_notice, subject = notice.id, notice.subject
        other_notice = notice_of(session, other_decision).id
        other_file = session.scalars(
            select(AppealAttachment.id).where(AppealAttachment.appeal_id == other_appeal)
        ).one()

    with browser(db, own.user_email) as client:
        standing = client.get("/my")
        assert standing.status_code == 200
        assert "Vendor Ltd: my standing" in standing.text
        assert "<strong>No.</strong>" in standing.text
        assert f"Decision {decision_id} off-boards you under clause 3.1" in standing.text
        assert f'href="/my/decisions/{decision_id}"' in standing.text
        assert f'href="/my/appeals/{appeal_id}"' in standing.text
        assert re.search(r'class="overdue">.*\(overdue\)', standing.text)
        assert f'href="/my/messages/{own_notice}"' in standing.text

        messages = client.get("/my/messages")
        assert messages.status_code == 200
        assert f'<a href="/my/messages/{own_notice}">{subject}</a>' in messages.text
        assert "appeal filed" in messages.text  # the kind of the newest message
        assert f'href="/my/messages/{other_notice}"' not in messages.text

        message = client.get(f"/my/messages/{own_notice}")
        assert message.status_code == 200
        assert f"<h1>{subject}</h1>" in message.text  # the HTML as sent, not escaped again
        assert "<details>" in message.text
        with db.sessions() as session:
            plain = notice_of(session, decision_id).body_text.splitlines()[2]
        assert plain.strip() in message.text

        decisions = client.get("/my/decisions")
        assert decisions.status_code == 200
        assert f'href="/my/decisions/{decision_id}"' in decisions.text
        assert f'href="/my/decisions/{other_decision}"' not in decisions.text

        decision = client.get(f"/my/decisions/{decision_id}")
        assert decision.status_code == 200
        assert "<dt>Puid</dt>" in decision.text
        assert f"adwarden-decision-{decision_id}" in decision.text
        assert "This decision is already under appeal" in decision.text
        assert 'name="argument-1"' not in decision.text

        appeals = client.get("/my/appeals")
        assert appeals.status_code == 200
        assert f'href="/my/appeals/{appeal_id}"' in appeals.text
        assert 'class="overdue"' in appeals.text

        appeal = client.get(f"/my/appeals/{appeal_id}")
        assert appeal.status_code == 200
        assert all(argument in appeal.text for argument in ARGUMENTS)
        assert 'class="overdue"' in appeal.text
        assert "Waiting for a reviewer." in appeal.text

        for page in (standing, messages, message, decisions, decision, appeals, appeal):
            assert "Bravo" not in page.text
            assert other.user_email not in page.text

        theirs = [
            f"/my/decisions/{other_decision}",
            f"/my/messages/{other_notice}",
            f"/my/appeals/{other_appeal}",
            f"/my/appeals/{other_appeal}/attachments/{other_file}",
            f"/my/appeals/{appeal_id}/attachments/{other_file}",
        ]
        for url in theirs:
            answer = client.get(url)
            assert answer.status_code == 404, url
            assert "Bravo" not in answer.text
            assert "proof.png" not in answer.text
            assert answer.content != PNG
        # another's id reads exactly like one that does not exist
        missing = client.get("/my/decisions/999999").text.replace("999999", "N")
        assert client.get(theirs[0]).text.replace(str(other_decision), "N") == missing

        posted = client.post(
            f"/my/decisions/{other_decision}/appeal",
            data={"argument-1": ARGUMENTS[0]},
            files=[NOTHING_CHOSEN],
        )
        assert posted.status_code == 404
    assert appeals_of(db, other_decision) == 1


def test_only_a_signed_in_advertiser_user_gets_in(db: Database) -> None:
    staff = make_staff(db)
    with browser(db) as client:
        for url in [*MY_PAGES, "/my/messages?offset=25"]:
            answer = client.get(url)
            assert answer.status_code == 303, url
            assert answer.headers["location"] == f"/login?{urlencode({'next': url})}"
        posted = client.post("/my/decisions/1/appeal", data={"argument-1": ARGUMENTS[0]})
        assert posted.status_code == 303
        assert posted.headers["location"].startswith("/login?next=")
    with browser(db, staff) as client:
        for url in MY_PAGES:
            answer = client.get(url)
            assert answer.status_code == 403, url
            assert "This page is for advertiser users." in answer.text
        posted = client.post(
            "/my/decisions/1/appeal", data={"argument-1": ARGUMENTS[0]}, files=[NOTHING_CHOSEN]
        )
        assert posted.status_code == 403


def test_filing_an_appeal_through_the_form(db: Database, tmp_path: Path) -> None:
    publish_default_policy(db)
    own, decision_id = off_board(db, tmp_path, "Vendor")
    with db.sessions() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        deadline = appeal_deadline(decision, clause_of(session, decision)[1])
    url = f"/my/decisions/{decision_id}/appeal"
    with browser(db, own.user_email) as client:
        form = client.get(f"/my/decisions/{decision_id}")
        assert form.status_code == 200
        assert f"Appeal by {deadline:%Y-%m-%d}" in re.sub(r"<[^>]+>", "", form.text)
        assert f'action="{url}" enctype="multipart/form-data"' in form.text
        for n in range(1, 6):
            assert f'<label for="argument-{n}">Argument {n}</label>' in form.text
        assert 'name="argument-6"' not in form.text
        assert '<input id="attachments" name="attachments" type="file" multiple' in form.text
        assert '<button type="submit">File the appeal</button>' in form.text

        empty = client.post(
            url, data={f"argument-{n}": " " for n in range(1, 6)}, files=[NOTHING_CHOSEN]
        )
        assert empty.status_code == 422
        assert 'id="argument-1-error"' in empty.text
        assert "Give at least one argument" in empty.text
        assert re.search(r'<textarea id="argument-1"[^>]*aria-invalid="true"', empty.text)

        # the second box left empty: the short argument is the second argument the service saw
        short = client.post(
            url,
            data={"argument-1": ARGUMENTS[0], "argument-3": "no!"},
            files=[NOTHING_CHOSEN],
        )
        assert short.status_code == 422
        assert 'id="argument-2-error"' in short.text
        assert "Argument 2 is 3 characters" in short.text
        assert f"{ARGUMENTS[0]}</textarea>" in short.text
        assert ">no!</textarea>" in short.text
        assert 'id="argument-1-error"' not in short.text

        wrong_file = client.post(
            url,
            data={"argument-1": ARGUMENTS[0], "argument-2": ARGUMENTS[1]},
            files=[
                ("attachments", ("tool.exe", b"MZ\x90\x00\x03\x00", "application/x-msdownload"))
            ],
        )
        assert wrong_file.status_code == 422
        assert 'id="attachments-error"' in wrong_file.text
        assert "tool.exe is not a file type we accept" in wrong_file.text
        assert "Choose your files again" in wrong_file.text
        assert f"{ARGUMENTS[1]}</textarea>" in wrong_file.text

        elsewhere = client.post(
            url,
            data={"argument-1": ARGUMENTS[0]},
            files=[NOTHING_CHOSEN],
            headers={"Origin": "http://elsewhere.example"},
        )
        assert elsewhere.status_code == 403
        assert appeals_of(db, decision_id) == 0

        sent = client.post(
            url,
            data={"argument-1": ARGUMENTS[0], "argument-2": ARGUMENTS[1], "argument-3": ""},
            files=[("attachments", ("screenshot.png", PNG, "image/png")), NOTHING_CHOSEN],
        )
        assert sent.status_code == 303, sent.text
        found = re.fullmatch(r"/my/appeals/(\d+)", sent.headers["location"])
        assert found
        appeal_id = int(found.group(1))

        page = client.get(sent.headers["location"])
        assert page.status_code == 200
        assert all(f"<li>{argument}</li>" in page.text for argument in ARGUMENTS)
        link = re.search(
            rf'href="(/my/appeals/{appeal_id}/attachments/\d+)"[^>]*>screenshot.png', page.text
        )
        assert link
        download = client.get(link.group(1))
        assert download.status_code == 200
        assert download.content == PNG
        assert download.headers["content-type"] == "image/png"
        assert download.headers["content-disposition"].startswith(
            'attachment; filename="screenshot.png"'
        )

        again = client.post(
            url,
            data={"argument-1": "A third point against the very same decision."},
            files=[NOTHING_CHOSEN],
        )
        assert again.status_code == 409
        assert f"Decision {decision_id} already has an open appeal ({appeal_id}" in again.text
        assert 'name="argument-1"' not in again.text
        assert (
            f'This decision is already under appeal: <a href="/my/appeals/{appeal_id}">'
            in again.text
        )
        later = client.get(f"/my/decisions/{decision_id}")
        assert 'name="argument-1"' not in later.text
        assert "File the appeal" not in later.text
    assert appeals_of(db, decision_id) == 1


def test_the_answer_and_the_history_after_a_reviewer_decides(db: Database, tmp_path: Path) -> None:
    publish_default_policy(db)
    own, decision_id = off_board(db, tmp_path, "Vendor")
    appeal_id = filed(db, own, decision_id)
    reviewer = staff_actor(db)
    with db.transaction() as session:
        decide_appeal(
            session, reviewer, appeal_id, AppealAnswer(AppealOutcome.reversed, ANSWER, POINTS)
        )
    with db.sessions() as session:
        notices = session.scalars(
            select(Notice).where(Notice.decision_id == decision_id).order_by(Notice.id)
        ).all()
        kinds = [notice.kind for notice in notices]
        notice_ids = [notice.id for notice in notices]
    assert kinds == [NoticeKind.decision, NoticeKind.appeal_filed, NoticeKind.appeal_decided]

    with browser(db, own.user_email) as client:
        appeal = client.get(f"/my/appeals/{appeal_id}")
        assert appeal.status_code == 200
        assert "The answer: reversed" in appeal.text
        assert ANSWER in appeal.text
        answered = re.findall(
            r"<blockquote><p>(.*?)</p></blockquote>\s*<p><strong>How the answer addresses it:"
            r"</strong> (.*?)</p>",
            appeal.text,
        )
        assert answered == list(zip(ARGUMENTS, POINTS, strict=True))
        assert f"Decided by {reviewer.label}" in appeal.text
        assert "its restrictions are lifted" in appeal.text
        assert f'href="/my/messages/{notice_ids[2]}"' in appeal.text

        decision = client.get(f"/my/decisions/{decision_id}")
        assert decision.status_code == 200
        history = decision.text.split('id="history"', 1)[1]
        steps = re.findall(r"<strong>(.*?)</strong>", history)
        assert steps[0] == "Decided"
        assert steps.count("Message sent") == 3
        assert "Reversed" in steps
        for notice_id in notice_ids:
            assert f'href="/my/messages/{notice_id}"' in history
        assert f'href="/my/appeals/{appeal_id}"' in history
        assert "it is no longer in force (reversed)" in decision.text
        assert 'name="argument-1"' not in decision.text

        standing = client.get("/my")
        assert "<strong>Yes.</strong> 1 of 1 of your accounts may promote posts." in standing.text
        assert "You have no open appeal." in standing.text
