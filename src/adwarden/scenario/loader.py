"""Read a scenario folder, validate all of it, then build it in one transaction."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.appeals.services import DECIDERS, AppealAnswer, assign, decide_appeal, file_appeal
from adwarden.auth.services import actor_for, create_user, user_by_email
from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import (
    AppealOutcome,
    DecisionStatus,
    Role,
    SubjectLevel,
    TaskStatus,
)
from adwarden.domain.errors import AdwardenError
from adwarden.enforcement.live import judge_changes
from adwarden.enforcement.models import Decision, ReviewTask
from adwarden.enforcement.services import decide
from adwarden.lists.formats import read_list
from adwarden.policy.loader import load_policy
from adwarden.policy.services import publish_policy
from adwarden.registry.inputs import AccountIn, OrganicPostIn, PersonRoleIn
from adwarden.registry.services import (
    add_organic_post,
    create_account,
    create_advertiser,
    create_person,
    link_person,
)
from adwarden.scenario.schema import (
    ScenarioAccount,
    ScenarioAdvertiser,
    ScenarioAppeal,
    ScenarioEnforcementFile,
    ScenarioList,
    ScenarioListsFile,
    ScenarioMeta,
    ScenarioPeopleFile,
    ScenarioUnownedAccountsFile,
    ScenarioUser,
    ScenarioUsersFile,
)
from adwarden.screening.index import list_keys
from adwarden.screening.models import ScreeningHit
from adwarden.screening.services import HitReview, import_and_screen, review_hit
from adwarden.serving.inputs import PromotedPostIn
from adwarden.serving.services import create_campaign, create_placement, create_promoted_post
from adwarden.settings import SharedDataMissingError, shared_data

M = TypeVar("M", bound=BaseModel)


class ScenarioError(AdwardenError):
    """A scenario file is missing, unreadable or invalid; the message names the file and place."""


@dataclass(frozen=True)
class Scenario:
    folder: Path
    meta: ScenarioMeta
    people: ScenarioPeopleFile
    advertisers: list[ScenarioAdvertiser]
    unowned_accounts: ScenarioUnownedAccountsFile
    users: ScenarioUsersFile
    lists: ScenarioListsFile
    enforcement: ScenarioEnforcementFile | None = None


@dataclass
class Built:
    """What a load created: ids by scenario key, and the demo logins with fresh passwords."""

    advertisers: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, Role, str, str | None]] = field(default_factory=list)


def _read(path: Path, model: type[M]) -> M:
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file missing") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"at {'.'.join(str(p) for p in err['loc']) or 'top level'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ScenarioError(f"{path}: {problems}") from None


def read_scenario(folder: Path) -> Scenario:
    """Parse and cross-check every file; nothing touches a database here."""
    if not folder.is_dir():
        raise ScenarioError(f"{folder}: no such scenario folder")
    scenario = Scenario(
        folder=folder,
        meta=_read(folder / "scenario.yaml", ScenarioMeta),
        people=_read(folder / "people.yaml", ScenarioPeopleFile),
        advertisers=[
            _read(path, ScenarioAdvertiser)
            for path in sorted((folder / "advertisers").glob("*.yaml"))
        ],
        unowned_accounts=_read(folder / "accounts.yaml", ScenarioUnownedAccountsFile),
        users=_read(folder / "users.yaml", ScenarioUsersFile),
        lists=_read(folder / "lists.yaml", ScenarioListsFile)
        if (folder / "lists.yaml").exists()
        else ScenarioListsFile(lists=[]),
        enforcement=_read(folder / "enforcement.yaml", ScenarioEnforcementFile)
        if (folder / "enforcement.yaml").exists()
        else None,
    )
    _cross_check(scenario)
    return scenario


def _duplicates(values: list[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def _check_lists(scenario: Scenario) -> None:
    """Every list file is there and reads cleanly, before anything is built."""
    slugs = [item.list for item in scenario.lists.lists]
    if _duplicates(slugs):
        raise ScenarioError(f"lists.yaml: list {', '.join(_duplicates(slugs))} given twice")
    for item in scenario.lists.lists:
        read_list(list_path(scenario, item), item.format)


def list_path(scenario: Scenario, item: ScenarioList) -> Path:
    """Where a scenario's list is read from; the error names lists.yaml and the missing path."""
    where = scenario.folder / "lists.yaml"
    if item.file is not None:
        path = scenario.folder / item.file
        if not path.is_file():
            raise ScenarioError(f"{where}: no list file {item.file}")
        return path
    assert item.shared is not None
    try:
        path = shared_data() / item.shared
    except SharedDataMissingError as exc:
        raise ScenarioError(
            f"{where}: list {item.list} is read from shared data, but {exc}"
        ) from None
    if not path.exists():
        raise ScenarioError(f"{where}: list {item.list}: {path} does not exist")
    return path


def _cross_check(scenario: Scenario) -> None:
    _check_lists(scenario)
    people = [p.key for p in scenario.people.people]
    advertisers = [a.key for a in scenario.advertisers]
    handles = [
        account.handle.lower()
        for account in [*scenario.unowned_accounts.accounts]
        + [acc for adv in scenario.advertisers for acc in adv.accounts]
    ]
    for what, values in (
        ("person key", people),
        ("advertiser key", advertisers),
        ("handle", handles),
    ):
        if dupes := _duplicates(values):
            raise ScenarioError(f"{scenario.folder}: duplicate {what}: {', '.join(dupes)}")
    for adv in scenario.advertisers:
        for role in adv.people:
            if role.person not in people:
                raise ScenarioError(
                    f"{scenario.folder}: advertiser {adv.key} names person {role.person!r}, "
                    "which people.yaml does not define"
                )
    for user in scenario.users.users:
        if user.advertiser is not None and user.advertiser not in advertisers:
            raise ScenarioError(
                f"{scenario.folder}/users.yaml: user {user.email} names advertiser "
                f"{user.advertiser!r}, which no file in advertisers/ defines"
            )
    _check_appeals(scenario)


def _appeal_place(scenario: Scenario, number: int, appeal: ScenarioAppeal) -> str:
    """Where an appeal is in the scenario, as errors name it: the file, then the item."""
    return (
        f"{scenario.folder / 'enforcement.yaml'}: at appeals.{number} "
        f"({appeal.advertiser}, clause {appeal.clause})"
    )


def _check_appeals(scenario: Scenario) -> None:
    """Each appeal is filed by a user of the advertiser whose decision it names, and answered
    by a reviewer or policy admin who neither made that decision nor answered an earlier
    appeal of it (four eyes); a decision has one open appeal at a time and, once reversed,
    none."""
    plan = scenario.enforcement
    if plan is None or not plan.appeals:
        return
    advertisers = {a.key for a in scenario.advertisers}
    users = {user.email: user for user in scenario.users.users}
    deciders = {(d.advertiser, d.clause): d.by for d in plan.decisions}
    earlier: dict[tuple[str, str], list[tuple[int, ScenarioAppeal]]] = {}
    for number, appeal in enumerate(plan.appeals):
        where = _appeal_place(scenario, number, appeal)
        if appeal.advertiser not in advertisers:
            raise ScenarioError(
                f"{where}: names advertiser {appeal.advertiser!r}, which no file in "
                "advertisers/ defines"
            )
        filer = users.get(appeal.filed_by)
        if filer is None:
            raise ScenarioError(f"{where}: filed_by {appeal.filed_by} is not a user in users.yaml")
        if filer.advertiser != appeal.advertiser:
            whose = (
                f"a user of advertiser {filer.advertiser}"
                if filer.advertiser
                else f"staff (role {filer.role.value}), not an advertiser user"
            )
            raise ScenarioError(
                f"{where}: filed_by {appeal.filed_by} is {whose}; an appeal is filed by a "
                f"user of {appeal.advertiser}, the advertiser the decision is about"
            )
        decision = (appeal.advertiser, appeal.clause)
        before = earlier.setdefault(decision, [])
        for other, previous in before:
            if previous.answer is None:
                raise ScenarioError(
                    f"{where}: appeals.{other} of the same decision is still open (it has no "
                    "answer); a decision has one open appeal at a time"
                )
            if previous.answer.outcome == "reversed":
                raise ScenarioError(
                    f"{where}: appeals.{other} reversed this decision; only a decision in "
                    "force can be appealed"
                )
        if appeal.answer is not None:
            _check_answerer(where, appeal, users, deciders.get(decision), before)
        before.append((number, appeal))


def _check_answerer(
    where: str,
    appeal: ScenarioAppeal,
    users: dict[str, ScenarioUser],
    decider: str | None,
    earlier: list[tuple[int, ScenarioAppeal]],
) -> None:
    assert appeal.answer is not None
    by = appeal.answer.by
    answerer = users.get(by)
    if answerer is None:
        raise ScenarioError(f"{where}: answer.by {by} is not a user in users.yaml")
    if answerer.role not in DECIDERS:
        raise ScenarioError(
            f"{where}: answer.by {by} has the role {answerer.role.value}; only a reviewer or a "
            "policy admin answers an appeal"
        )
    if by == decider:
        raise ScenarioError(
            f"{where}: answer.by {by} made the appealed decision (decisions: {appeal.advertiser}, "
            f"clause {appeal.clause}); an appeal is answered by someone who took no part in "
            "the decision (four eyes)"
        )
    for other, previous in earlier:
        if previous.answer is not None and previous.answer.by == by:
            raise ScenarioError(
                f"{where}: answer.by {by} answered appeals.{other} of the same decision; "
                "a further appeal goes to someone who took no part in it (four eyes)"
            )


def _build_accounts(
    session: Session,
    actor: Actor,
    accounts: list[ScenarioAccount],
    advertiser_id: int | None,
    built: Built,
) -> None:
    for account in accounts:
        row = create_account(
            session,
            actor,
            AccountIn(
                handle=account.handle,
                display_name=account.display_name,
                advertiser_id=advertiser_id,
                opened_at=account.opened_at,
            ),
            at=account.opened_at,
        )
        built.accounts[account.handle] = row.id
        for post in account.posts:
            add_organic_post(session, actor, row.id, OrganicPostIn.model_validate(post))


def _as_user(session: Session, email: str) -> Actor:
    """The scenario acting as one of its demo users, staff or advertiser."""
    return actor_for(user_by_email(session, email), Source.scenario)


def _appealed_decision(
    session: Session, scenario: Scenario, built: Built, number: int, appeal: ScenarioAppeal
) -> Decision:
    found = session.scalars(
        select(Decision)
        .where(
            Decision.advertiser_id == built.advertisers[appeal.advertiser],
            Decision.clause_id == appeal.clause,
            Decision.status == DecisionStatus.active,
        )
        .order_by(Decision.id)
    ).all()
    if len(found) != 1:
        where = _appeal_place(scenario, number, appeal)
        if not found:
            raise ScenarioError(
                f"{where}: {appeal.advertiser} has no decision in force under clause "
                f"{appeal.clause} to appeal (none is in `decisions:`, and the policy made none)"
            )
        raise ScenarioError(
            f"{where}: {appeal.advertiser} has {len(found)} decisions in force under clause "
            f"{appeal.clause} (ids {', '.join(str(d.id) for d in found)}); an appeal names one"
        )
    return found[0]


def _appeal(
    session: Session, scenario: Scenario, built: Built, number: int, appeal: ScenarioAppeal
) -> None:
    """File the appeal as the advertiser's user; if it is answered, the answering reviewer
    takes it and decides it, through the same services as the site."""
    decision = _appealed_decision(session, scenario, built, number, appeal)
    try:
        filed = file_appeal(
            session, _as_user(session, appeal.filed_by), decision.id, list(appeal.arguments)
        )
        if appeal.answer is None:
            return
        reviewer = _as_user(session, appeal.answer.by)
        assign(session, reviewer, filed.id)
        decide_appeal(
            session,
            reviewer,
            filed.id,
            AppealAnswer(
                AppealOutcome(appeal.answer.outcome),
                appeal.answer.answer,
                list(appeal.answer.points),
            ),
        )
    except AdwardenError as exc:
        raise ScenarioError(f"{_appeal_place(scenario, number, appeal)}: {exc}") from None


def _enforce(session: Session, scenario: Scenario, built: Built) -> None:
    """What the demo's staff do once everything exists: publish the policy, review hits,
    decide the review tasks, then file the appeals and answer them as the scenario says.

    Every change is judged as a commit would judge it (enforcement/live.py); each step ends
    as its own request would, judged, so the next step sees the tasks and decisions it left.
    """
    plan = scenario.enforcement
    if plan is None:
        return
    policy = load_policy((scenario.folder / plan.policy_file).resolve())
    publish_policy(session, _as_user(session, plan.published_by), policy, plan.changelog)
    judge_changes(session)
    lists = list_keys(session)
    for item in plan.hit_reviews:
        hit = session.scalars(
            select(ScreeningHit).where(
                ScreeningHit.list_id == lists[item.list],
                ScreeningHit.entry_id == item.entry,
                ScreeningHit.subject_type == "advertiser",
                ScreeningHit.subject_id == built.advertisers[item.advertiser],
            )
        ).one()
        review = HitReview.confirm if item.review == "confirm" else HitReview.dismiss
        review_hit(session, _as_user(session, item.by), hit.id, review, item.reason)
        judge_changes(session)
    for decision in plan.decisions:
        advertiser_id = built.advertisers[decision.advertiser]
        task = session.scalars(
            select(ReviewTask).where(
                ReviewTask.level == SubjectLevel.advertiser,
                ReviewTask.subject_id == advertiser_id,
                ReviewTask.clause_id == decision.clause,
                ReviewTask.status == TaskStatus.open,
            )
        ).one()
        decide(
            session,
            _as_user(session, decision.by),
            SubjectLevel.advertiser,
            advertiser_id,
            decision.clause,
            decision.facts_summary,
            task_id=task.id,
        )
    for number, appeal in enumerate(plan.appeals):
        _appeal(session, scenario, built, number, appeal)


def build_scenario(session: Session, scenario: Scenario) -> Built:
    """Create everything in the caller's transaction. Passwords are random and returned once."""
    actor = Actor.system(Source.scenario)
    built = Built()
    # lists first, so that every advertiser, person and account is screened as it is created
    for item in scenario.lists.lists:
        import_and_screen(
            session, actor, list_path(scenario, item), item.format, item.list, item.kind
        )
    for person in scenario.people.people:
        built.people[person.key] = create_person(session, actor, person).id
    for adv in scenario.advertisers:
        advertiser = create_advertiser(session, actor, adv, at=adv.created_at)
        built.advertisers[adv.key] = advertiser.id
        for role in adv.people:
            link_person(
                session,
                actor,
                advertiser.id,
                PersonRoleIn(person_id=built.people[role.person], role=role.role, title=role.title),
            )
        _build_accounts(session, actor, adv.accounts, advertiser.id, built)
        for camp in adv.campaigns:
            campaign = create_campaign(session, actor, advertiser.id, camp, at=camp.created_at)
            for post in camp.promoted_posts:
                create_promoted_post(
                    session,
                    actor,
                    campaign.id,
                    PromotedPostIn(
                        account_id=built.accounts[post.account],
                        text=post.text,
                        landing_url=post.landing_url,
                    ),
                )
    _build_accounts(session, actor, scenario.unowned_accounts.accounts, None, built)
    for placement in scenario.meta.placements:
        create_placement(session, actor, placement.key, int(placement.reserve_cpm * 100))
    for user in scenario.users.users:
        password = secrets.token_urlsafe(12)
        create_user(
            session,
            actor,
            email=user.email,
            name=user.name,
            role=user.role,
            password=password,
            advertiser_id=built.advertisers[user.advertiser] if user.advertiser else None,
        )
        built.logins.append((user.email, user.role, password, user.advertiser))
    _enforce(session, scenario, built)
    return built
