"""The whole 2018 story in a real browser, as it should have gone.

A reviewer off-boards Kaspersky Lab under the directive clause; the advertiser
reads the notice and appeals with two arguments; the reviewer who decided cannot
take the appeal; a second reviewer's boilerplate answer is refused, then a real
answer goes out; the advertiser reads it. Once upheld, once reversed: after the
reversal the Kaspersky Lab accounts may promote again.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from adwarden.appeals.models import Appeal
from adwarden.cli import DEFAULT_SCENARIO
from adwarden.domain.enums import AppealOutcome, DecisionStatus
from adwarden.enforcement.models import Decision, Notice
from adwarden.registry.models import Account, Advertiser
from adwarden.scenario.loader import build_scenario, read_scenario
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from browser_support import Screens
from support import live_server

REVIEWER = "reviewer@adwarden.example"
SECOND_REVIEWER = "reviewer2@adwarden.example"
ADVERTISER = "kaspersky-lab@advertisers.adwarden.example"
FACTS = (
    "On 2017-09-13 the US Department of Homeland Security issued Binding Operational "
    "Directive 17-01, ordering federal agencies to remove Kaspersky-branded products. "
    "Kaspersky Lab is the vendor of those products; the directive list match was confirmed."
)
ARGUMENTS = (
    "The directive governs software on US federal systems; it says nothing about advertising "
    "on a social network.",
    "None of our ads broke a rule: our most promoted post in 2017 warned about WannaCry.",
)
ANSWERS = {
    AppealOutcome.upheld: (
        "You argue that the directive is about federal systems, not advertising, and that no "
        "ad broke a rule. Both are true, and clause 3.1 says neither: it lets us decline a "
        "vendor whose products a government barred from its systems for security reasons. "
        "The directive names your products, so the clause applies and the decision stands; "
        "it is looked at again in six months.",
        (
            "Agreed: the directive is about federal systems; clause 3.1 uses it as evidence.",
            "Agreed: no ad broke a rule; the clause concerns the vendor, not the ads.",
        ),
    ),
    AppealOutcome.reversed: (
        "You are right on both points. The directive restricts software on US federal "
        "systems and says nothing about who may advertise, and no ad of yours broke a rule. "
        "Clause 3.1 was applied beyond its purpose: we reverse the decision, publish the "
        "reversal with this reason, and your accounts may promote posts again at once.",
        (
            "Accepted: the directive concerns federal systems only, so it cannot carry this.",
            "Accepted: the record shows no ad of yours that broke any clause.",
        ),
    ),
}


@pytest.fixture
def site(db: Database) -> Iterator[tuple[str, dict[str, str]]]:
    """The 2018 demo as built by `adwarden demo`, except that the directive task is left
    open, served over real HTTP; yields the base URL and each login's password."""
    scenario = read_scenario(DEFAULT_SCENARIO)
    assert scenario.enforcement is not None
    undecided = dataclasses.replace(
        scenario,
        enforcement=scenario.enforcement.model_copy(update={"decisions": [], "appeals": []}),
    )
    with db.transaction() as session:
        built = build_scenario(session, undecided)
    passwords = {email: password for email, _, password, _ in built.logins}
    with live_server(create_app(db)) as base:
        yield base, passwords


def signed_in(browser: Browser, base: str, email: str, password: str) -> Page:
    page = browser.new_context(base_url=base).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def kaspersky_accounts_eligible(db: Database) -> list[bool]:
    with db.sessions() as session:
        advertiser = session.scalars(
            select(Advertiser).where(Advertiser.name == "Kaspersky Lab")
        ).one()
        return [
            account.ads_eligible
            for account in session.scalars(
                select(Account).where(Account.advertiser_id == advertiser.id)
            )
        ]


@pytest.mark.parametrize("outcome", [AppealOutcome.upheld, AppealOutcome.reversed])
def test_the_2018_story(
    db: Database,
    site: tuple[str, dict[str, str]],
    browser: Browser,
    screens: Screens,
    outcome: AppealOutcome,
) -> None:
    base, passwords = site

    # 1. a reviewer off-boards Kaspersky Lab under the directive clause
    reviewer = signed_in(browser, base, REVIEWER, passwords[REVIEWER])
    reviewer.goto("/staff/tasks")
    screens(reviewer, "review-tasks")
    reviewer.get_by_role("row").filter(has_text="Kaspersky Lab").filter(
        has_text="off board"
    ).get_by_role("link", name=re.compile(r"^Task \d+$")).click()
    reviewer.get_by_label("Clause", exact=True).select_option("3.1")
    reviewer.get_by_label("The facts in your words").fill(FACTS)
    screens(reviewer, "task-decision-form")
    reviewer.get_by_role("button", name=re.compile("^Decide")).click()
    expect(reviewer.get_by_role("heading", level=1)).to_contain_text("Decision")
    screens(reviewer, "decision-page-staff")
    assert kaspersky_accounts_eligible(db) == [False, False]

    # 2. the advertiser reads the notice and appeals with two arguments
    advertiser = signed_in(browser, base, ADVERTISER, passwords[ADVERTISER])
    advertiser.goto("/my")
    screens(advertiser, "my-standing")
    advertiser.get_by_role(
        "link", name=re.compile(r"^Decision \d+: off board .* clause 3\.1")
    ).click()
    notice = advertiser.get_by_role("article", name="The message as sent")
    expect(notice).to_contain_text("Clause 3.1 Products barred by a national government")
    expect(notice).to_contain_text("Binding Operational Directive 17-01")
    expect(notice).to_contain_text("organic posts stay up")
    screens(advertiser, "notice")
    advertiser.get_by_role("link", name="Appeal this decision").click()
    expect(advertiser.locator("main")).to_contain_text("DECISION_GROUND_INCOMPATIBLE_CONTENT")
    screens(advertiser, "decision-statement-and-appeal-form")
    advertiser.get_by_label("Argument 1").fill(ARGUMENTS[0])
    advertiser.get_by_label("Argument 2").fill(ARGUMENTS[1])
    advertiser.get_by_role("button", name="File the appeal").click()
    expect(advertiser.locator("main")).to_contain_text(ARGUMENTS[1])
    screens(advertiser, "appeal-filed")
    with db.sessions() as session:
        appeal = session.scalars(select(Appeal)).one()
        appeal_id, decision_id = appeal.id, appeal.decision_id
        notice = session.scalars(select(Notice).where(Notice.decision_id == decision_id)).first()
        assert notice is not None
        notice_text = notice.body_text

    # 3. the reviewer who decided cannot take the appeal
    reviewer.goto("/staff/appeals")
    screens(reviewer, "appeals-queue")
    reviewer.goto(f"/staff/appeals/{appeal_id}")
    reviewer.get_by_role("button", name="Take this appeal").click()
    expect(reviewer.locator("main")).to_contain_text("four eyes")
    screens(reviewer, "four-eyes-refusal")

    # 4. a second reviewer: boilerplate is refused, a real answer goes out
    second = signed_in(browser, base, SECOND_REVIEWER, passwords[SECOND_REVIEWER])
    second.goto(f"/staff/appeals/{appeal_id}")
    second.get_by_role("button", name="Take this appeal").click()
    answer, points = ANSWERS[outcome]
    second.get_by_label(re.compile(f"^{outcome.value.capitalize()}")).check()
    second.get_by_label("Your answer to the advertiser").fill(notice_text)
    for number, point in enumerate(points, 1):
        second.get_by_label(re.compile(f"addresses argument {number}")).fill(point)
    second.get_by_role("button", name="Send the answer").click()
    expect(second.locator("#answer-error")).to_contain_text("repeats")
    screens(second, "boilerplate-refused")
    second.get_by_label(re.compile(f"^{outcome.value.capitalize()}")).check()
    second.get_by_label("Your answer to the advertiser").fill(answer)
    for number, point in enumerate(points, 1):
        second.get_by_label(re.compile(f"addresses argument {number}")).fill(point)
    second.get_by_role("button", name="Send the answer").click()
    expect(second.locator("main")).to_contain_text(outcome.value)
    screens(second, "appeal-decided-staff")

    # 5. the advertiser sees the answer, point by point
    advertiser.goto(f"/my/appeals/{appeal_id}")
    main = advertiser.locator("main")
    expect(main).to_contain_text(answer)
    for point in points:
        expect(main).to_contain_text(point)
    screens(advertiser, "answer-seen")
    advertiser.goto(f"/my/decisions/{decision_id}")
    screens(advertiser, "decision-history")

    with db.sessions() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        expected = (
            DecisionStatus.reversed if outcome is AppealOutcome.reversed else DecisionStatus.active
        )
        assert decision.status is expected
    eligible = kaspersky_accounts_eligible(db)
    assert eligible == ([True, True] if outcome is AppealOutcome.reversed else [False, False])
    assert len(screens.taken) == 13
    assert all(path.stat().st_size > 1000 for path in screens.taken)
