"""The live loop: every transaction that changes what a clause reads is judged before it commits.

Nobody has to remember to call the policy. Each flush notes which subjects' facts may have
changed (a promoted post, a campaign, an account, an advertiser, its names or people, a
screening hit's status, a published policy version); just before the transaction commits,
`judge` runs on each of them, in the same transaction. Whatever the judge changes commits
with the change that caused it, or not at all, so a confirmed hit is never without its
decision or task, and a new post is never left half-judged.

What it must never do: judge on effects (a hold, a bar, a post's status), which would judge
its own decisions again; or run with no policy published (pending posts then wait).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import DecisionStatus, PromotedPostStatus, SubjectLevel, TaskStatus
from adwarden.enforcement.models import Decision, ReviewTask
from adwarden.enforcement.services import judge
from adwarden.policy.models import PolicyVersion
from adwarden.policy.services import current_version, policy_of
from adwarden.policy.whatif import changed_levels, what_if
from adwarden.registry.models import (
    Account,
    Advertiser,
    AdvertiserName,
    AdvertiserPerson,
    Person,
)
from adwarden.screening.models import ScreeningHit
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.store import health

_MARKS = "adwarden.judge.marks"
_RUNNING = "adwarden.judge.running"
# judging settles in one round unless a judgement changes what another subject reads; more
# rounds than this means a loop, which must fail loudly rather than spin
_MAX_ROUNDS = 8
JUDGE = Actor.system(Source.system)

# the attributes each record's facts are read from (policy/subjects.py); a change to any
# other attribute (the effects of a decision among them) is not a reason to judge again
_READ: dict[type[Any], tuple[str, ...]] = {
    Advertiser: ("name", "kind", "country", "industry"),
    AdvertiserName: ("name", "advertiser_id"),
    AdvertiserPerson: ("advertiser_id", "person_id", "role"),
    Person: ("name", "country"),
    Account: ("handle", "display_name", "advertiser_id", "opened_at"),
    Campaign: ("name", "keywords", "countries", "advertiser_id"),
    PromotedPost: ("text", "landing_url", "account_id", "campaign_id"),
    ScreeningHit: ("status",),
    # a task closed or decided: a pending post it held may now run
    ReviewTask: ("status",),
    PolicyVersion: (),
}
# records that are no reason to judge when they are new: a task is the judge's own doing
_NOT_WHEN_NEW: set[type[Any]] = {ReviewTask}
# attributes that other subjects' facts read too: an advertiser's country is its campaigns'
# and posts' `advertiser_country`, an account's opening date its posts' `account_age_days`
_WIDE = {(Advertiser, "country"), (Account, "opened_at")}

Mark = tuple[str, Any]  # how to find the subjects, and the record


def _changed(obj: Any, names: Iterable[str]) -> list[str]:
    state = inspect(obj)
    return [name for name in names if state.attrs[name].history.has_changes()]


def _back_to_waiting(obj: Any) -> bool:
    """A post set pending again (its rejection lifted, say) waits to be judged."""
    if not isinstance(obj, PromotedPost):
        return False
    return PromotedPostStatus.pending in inspect(obj).attrs["status"].history.added


@event.listens_for(Session, "before_flush")
def _note(session: Session, _context: UOWTransaction, _instances: object) -> None:
    marks: list[Mark] = session.info.setdefault(_MARKS, [])
    for obj in session.new:
        if type(obj) in _READ and type(obj) not in _NOT_WHEN_NEW:
            marks.append(("new", obj))
    for obj in session.dirty:
        names = _READ.get(type(obj))
        if not names:
            continue
        changed = _changed(obj, names)
        if changed or _back_to_waiting(obj):
            wide = any((type(obj), name) in _WIDE for name in changed)
            marks.append(("wide" if wide else "changed", obj))
    if not marks:
        session.info.pop(_MARKS, None)


def _advertisers_of_person(session: Session, person_id: int) -> list[int]:
    return list(
        session.scalars(
            select(AdvertiserPerson.advertiser_id).where(AdvertiserPerson.person_id == person_id)
        )
    )


def _advertiser_wide(session: Session, advertiser_id: int) -> set[tuple[SubjectLevel, int]]:
    campaigns = session.scalars(select(Campaign.id).where(Campaign.advertiser_id == advertiser_id))
    posts = session.scalars(
        select(PromotedPost.id)
        .join(Campaign, Campaign.id == PromotedPost.campaign_id)
        .where(Campaign.advertiser_id == advertiser_id)
    )
    return {(SubjectLevel.campaign, i) for i in campaigns} | {(SubjectLevel.post, i) for i in posts}


def _hit_subjects(session: Session, hit: ScreeningHit) -> set[tuple[SubjectLevel, int]]:
    if hit.subject_type == "advertiser":
        return {(SubjectLevel.advertiser, hit.subject_id)}
    if hit.subject_type == "account":
        return {(SubjectLevel.account, hit.subject_id)}  # judge passes over an unowned one
    return {(SubjectLevel.advertiser, i) for i in _advertisers_of_person(session, hit.subject_id)}


def _published_subjects(session: Session, version: PolicyVersion) -> set[tuple[SubjectLevel, int]]:
    """Who a newly published version judges again: under a first policy, every subject at a
    level it has clauses for; after that those whose outcome the what-if shows changing (it
    reads only the levels where a clause changed), every pending post, and every subject of
    a decision in force (whose clause may no longer fire)."""
    previous = session.scalar(
        select(PolicyVersion).where(PolicyVersion.number == version.number - 1)
    )
    proposed = policy_of(version)
    if previous is None:
        found = _every_subject(session, changed_levels(None, proposed))
    else:
        found = {(c.level, c.subject_id) for c in what_if(session, policy_of(previous), proposed)}
    pending = session.scalars(
        select(PromotedPost.id).where(PromotedPost.status == PromotedPostStatus.pending)
    )
    found |= {(SubjectLevel.post, i) for i in pending}
    in_force = session.execute(
        select(Decision.level, Decision.subject_id).where(Decision.status == DecisionStatus.active)
    )
    found |= {(level, subject_id) for level, subject_id in in_force}
    return found


def _every_subject(
    session: Session, levels: frozenset[SubjectLevel]
) -> set[tuple[SubjectLevel, int]]:
    """Every subject at `levels`, as the what-if counts them (owned accounts only)."""
    queries = {
        SubjectLevel.advertiser: select(Advertiser.id),
        SubjectLevel.account: select(Account.id).where(Account.advertiser_id.is_not(None)),
        SubjectLevel.campaign: select(Campaign.id),
        SubjectLevel.post: select(PromotedPost.id),
    }
    return {(level, i) for level in levels for i in session.scalars(queries[level])}


def _subjects(session: Session, how: str, obj: Any) -> set[tuple[SubjectLevel, int]]:
    if isinstance(obj, PolicyVersion):
        return _published_subjects(session, obj) if how == "new" else set()
    if isinstance(obj, ScreeningHit):
        return _hit_subjects(session, obj)
    if isinstance(obj, ReviewTask):
        return {(obj.level, obj.subject_id)}
    if isinstance(obj, Advertiser):
        found = {(SubjectLevel.advertiser, obj.id)}
        return found | _advertiser_wide(session, obj.id) if how == "wide" else found
    if isinstance(obj, AdvertiserName | AdvertiserPerson):
        return {(SubjectLevel.advertiser, obj.advertiser_id)}
    if isinstance(obj, Person):
        return {(SubjectLevel.advertiser, i) for i in _advertisers_of_person(session, obj.id)}
    if isinstance(obj, Account):
        if obj.advertiser_id is None:
            return set()
        found = {(SubjectLevel.account, obj.id)}
        if how == "wide":
            posts = session.scalars(
                select(PromotedPost.id).where(PromotedPost.account_id == obj.id)
            )
            found |= {(SubjectLevel.post, i) for i in posts}
        return found
    if isinstance(obj, Campaign):
        return {(SubjectLevel.campaign, obj.id)}
    return {(SubjectLevel.post, obj.id)}


# advertisers first: an off-boarding settles before its accounts, campaigns and posts are seen
_ORDER = {
    SubjectLevel.advertiser: 0,
    SubjectLevel.account: 1,
    SubjectLevel.campaign: 2,
    SubjectLevel.post: 3,
}


def judge_changes(session: Session) -> int:
    """Judge every subject this transaction changed, until nothing more changes; returns how
    many judgements ran. Called before each commit; callable earlier to see the outcome."""
    if session.info.get(_RUNNING):
        return 0
    session.info[_RUNNING] = True
    judged = 0
    try:
        for _ in range(_MAX_ROUNDS):
            session.flush()
            marks: list[Mark] = session.info.pop(_MARKS, [])
            if not marks:
                return judged
            if current_version(session) is None:
                return judged  # nothing to judge by: pending posts wait for a policy
            subjects: set[tuple[SubjectLevel, int]] = set()
            for how, obj in marks:
                if inspect(obj).persistent:
                    subjects |= _subjects(session, how, obj)
            for level, subject_id in sorted(subjects, key=lambda s: (_ORDER[s[0]], s[1])):
                judge(session, JUDGE, level, subject_id)
                judged += 1
        raise RuntimeError(f"judging did not settle in {_MAX_ROUNDS} rounds")
    finally:
        session.info.pop(_RUNNING, None)


@event.listens_for(Session, "before_commit")
def _judge_before_commit(session: Session) -> None:
    if session.info.get(_MARKS) or session.new or session.dirty:
        judge_changes(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # a savepoint rolled back: what the transaction changed before it is still to be judged
    # (records made inside it are no longer persistent, and are passed over)
    if not session.in_nested_transaction():
        session.info.pop(_MARKS, None)


def _backlog(session: Session) -> health.Reading:
    """Judging has no queue to fall behind: it runs in the transaction of the change. What
    waits is what waits for a person: posts pending behind an open task, and open tasks."""
    pending = session.scalar(
        select(func.count()).where(PromotedPost.status == PromotedPostStatus.pending)
    )
    tasks = session.scalar(select(func.count()).where(ReviewTask.status == TaskStatus.open))
    return health.Reading(
        True,
        {
            "backlog": 0,
            "judged": "in the transaction of each change",
            "posts_pending": pending or 0,
            "open_review_tasks": tasks or 0,
        },
    )


health.register(health.QUEUE, _backlog)
