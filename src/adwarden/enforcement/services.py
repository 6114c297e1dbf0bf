"""Turning verdicts into decisions and review tasks, and lifting decisions.

No decision exists without a clause of a published policy version, the facts
the clause read, evidence, and a summary of the facts in words. An automatic
clause decides at once; any other opens a review task, and a staff member
decides it with a clause and a written summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden import settings
from adwarden.audit.services import record, record_created
from adwarden.domain.actors import Actor
from adwarden.domain.enums import (
    DecisionStatus,
    NoticeKind,
    Outcome,
    PromotedPostStatus,
    SubjectLevel,
    TaskKind,
    TaskStatus,
)
from adwarden.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from adwarden.enforcement.effects import apply_outcome, restore
from adwarden.enforcement.models import Decision, Notice, ReviewTask
from adwarden.enforcement.notices import send_notice
from adwarden.enforcement.statement import statement_of_reasons
from adwarden.policy.classify import RuleClassifier
from adwarden.policy.document import Clause
from adwarden.policy.evaluate import Firing, Verdict, evaluate
from adwarden.policy.loader import Policy
from adwarden.policy.models import PolicyVersion
from adwarden.policy.services import current_version, policy_of
from adwarden.policy.subjects import (
    SubjectFacts,
    account_facts,
    advertiser_facts,
    campaign_facts,
    post_facts,
    value_words,
)
from adwarden.registry.models import Account, Advertiser
from adwarden.serving.eligibility import bump
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.store.base import utcnow
from adwarden.store.queries import get

# A written summary must say something: a clause number alone is not a reason.
MIN_SUMMARY = 40
WORLDWIDE = ["WORLD"]


def classifier_for(policy: Policy) -> RuleClassifier:
    return RuleClassifier(rule for item in policy.clauses for rule in item.clause.classifiers)


def subject_facts(
    session: Session, policy: Policy, level: SubjectLevel, subject_id: int
) -> SubjectFacts:
    if level is SubjectLevel.advertiser:
        return advertiser_facts(session, subject_id)
    if level is SubjectLevel.account:
        return account_facts(session, subject_id)
    if level is SubjectLevel.campaign:
        return campaign_facts(session, subject_id)
    return post_facts(session, subject_id, classifier_for(policy))


def _owned(session: Session, account_id: int) -> bool:
    return get(session, Account, account_id).advertiser_id is not None


def advertiser_of(session: Session, level: SubjectLevel, subject_id: int) -> int:
    if level is SubjectLevel.advertiser:
        return subject_id
    if level is SubjectLevel.campaign:
        return get(session, Campaign, subject_id).advertiser_id
    if level is SubjectLevel.post:
        post = get(session, PromotedPost, subject_id)
        return get(session, Campaign, post.campaign_id).advertiser_id
    owner = get(session, Account, subject_id).advertiser_id
    if owner is None:
        raise ConflictError(f"account {subject_id} has no advertiser: there are no ads to restrict")
    return owner


def published(session: Session) -> tuple[PolicyVersion, Policy]:
    version = current_version(session)
    if version is None:
        raise ConflictError("no policy is published: publish one before deciding anything")
    return version, policy_of(version)


def _fact_words(name: str, value: Any) -> list[str]:
    """A fact as a reader takes it in: maps such as `hits` only by their non-empty keys."""
    if isinstance(value, dict):
        named = [f"{name}.{key} is {value_words(v)}" for key, v in value.items() if v]
        return named or [f"{name} is empty"]
    return [f"{name} is {value_words(value)}"]


def summarise(subject: SubjectFacts, firing: Firing) -> str:
    """The facts a clause read, and what backs them, in words."""
    parts = [part for name, value in firing.facts.items() for part in _fact_words(name, value)]
    lines = [f"{subject.label}: clause {firing.clause_id} ({firing.title}) applies because "
             + "; ".join(parts) + "."]  # fmt: skip
    for item in firing.evidence:
        if "entry_id" in item:
            lines.append(
                f"Evidence: {item['list']} entry {item['entry_id']} “{item['entry_name']}” "
                f"matched “{item['subject_name']}” (score {item['score']:.2f}, hit {item['status']})."
            )
        elif "description" in item:
            lines.append(f"Evidence: {item['description']}.")
    return " ".join(lines)


def active_decisions(session: Session, level: SubjectLevel, subject_id: int) -> list[Decision]:
    return list(
        session.scalars(
            select(Decision).where(
                Decision.level == level,
                Decision.subject_id == subject_id,
                Decision.status == DecisionStatus.active,
            )
        )
    )


def _other_active_effects(session: Session, advertiser_id: int, but: set[int]) -> list[Any]:
    rows = session.scalars(
        select(Decision).where(
            Decision.advertiser_id == advertiser_id,
            Decision.status == DecisionStatus.active,
        )
    )
    return [decision.effects for decision in rows if decision.id not in but]


def _decide(
    session: Session,
    actor: Actor,
    version: PolicyVersion,
    policy: Policy,
    subject: SubjectFacts,
    firing: Firing,
    *,
    summary: str,
    automated_detection: bool,
    automated_decision: bool,
    task: ReviewTask | None = None,
    territorial_scope: list[str] | None = None,
    now: datetime | None = None,
) -> Decision:
    clause = policy.clause(firing.clause_id).clause
    starts = now or utcnow()
    advertiser_id = advertiser_of(session, subject.level, subject.subject_id)
    replaced = active_decisions(session, subject.level, subject.subject_id)
    decision = Decision(
        level=subject.level,
        subject_id=subject.subject_id,
        subject_label=subject.label[:300],
        advertiser_id=advertiser_id,
        outcome=clause.outcome,
        clause_id=clause.id,
        policy_version_id=version.id,
        policy_hash=version.content_hash,
        facts=firing.facts,
        facts_summary=summary,
        evidence=firing.evidence,
        decided_by=None if automated_decision else actor.user_id,
        decided_by_label="adwarden (automatic)" if automated_decision else actor.label,
        automated_detection=automated_detection,
        automated_decision=automated_decision,
        starts_at=starts,
        ends_at=starts + timedelta(days=clause.duration_days) if clause.duration_days else None,
        territorial_scope=territorial_scope or WORLDWIDE,
        effects={},
        review_task_id=task.id if task else None,
        status=DecisionStatus.active,
    )
    record_created(
        session,
        actor,
        "decision",
        decision,
        reason=summary,
        changes={"clause": clause.id, "outcome": clause.outcome.value, "subject": subject.label},
    )
    # the decision it replaces lets go first, so its holds do not outlive it
    for old in replaced:
        restore(
            session,
            old.effects,
            _other_active_effects(session, advertiser_id, {old.id, decision.id}),
            advertiser_id,
        )
        old.status = DecisionStatus.superseded
        old.status_reason = f"superseded by decision {decision.id}"
        old.superseded_by = decision.id
        record(session, actor, "decision", "supersede", old.id, reason=f"by decision {decision.id}")
    decision.effects = apply_outcome(
        session, subject.level, subject.subject_id, clause.outcome, advertiser_id
    )
    send_notice(session, actor, decision, clause)
    if task is not None:
        _resolve(session, actor, task, TaskStatus.decided, f"decision {decision.id}")
    return decision


def _same_facts_settled(session: Session, subject: SubjectFacts, firing: Firing) -> bool:
    """Whether a reviewer already answered this clause on exactly these facts: a task they
    closed or decided, or a decision under it that a person ended. The same facts do not ask
    again; changed facts do."""
    settled_tasks = session.scalars(
        select(ReviewTask.facts).where(
            ReviewTask.level == subject.level,
            ReviewTask.subject_id == subject.subject_id,
            ReviewTask.clause_id == firing.clause_id,
            ReviewTask.kind == TaskKind.apply,
            ReviewTask.status != TaskStatus.open,
            ReviewTask.resolved_by.is_not(None),  # a person's answer, not a stale task closed
        )
    )
    # ended by a person (reversed, or lifted: superseded by no later decision)
    reversed_ = session.scalars(
        select(Decision.facts).where(
            Decision.level == subject.level,
            Decision.subject_id == subject.subject_id,
            Decision.clause_id == firing.clause_id,
            Decision.status.in_([DecisionStatus.reversed, DecisionStatus.superseded]),
            Decision.superseded_by.is_(None),
        )
    )
    return any(facts == firing.facts for facts in (*settled_tasks, *reversed_))


def _open_task(
    session: Session,
    actor: Actor,
    version: PolicyVersion,
    subject: SubjectFacts,
    *,
    clause_id: str,
    outcome: Outcome,
    facts: dict[str, Any],
    evidence: list[dict[str, Any]],
    kind: TaskKind = TaskKind.apply,
    decision: Decision | None = None,
    why: str,
) -> ReviewTask:
    existing = session.scalars(
        select(ReviewTask).where(
            ReviewTask.level == subject.level,
            ReviewTask.subject_id == subject.subject_id,
            ReviewTask.clause_id == clause_id,
            ReviewTask.kind == kind,
            ReviewTask.status == TaskStatus.open,
        )
    ).first()
    if existing is not None:
        return existing
    task = ReviewTask(
        level=subject.level,
        subject_id=subject.subject_id,
        subject_label=subject.label[:300],
        # a decision's own advertiser: an account may have lost its owner since
        advertiser_id=(
            decision.advertiser_id
            if decision is not None
            else advertiser_of(session, subject.level, subject.subject_id)
        ),
        clause_id=clause_id,
        outcome=outcome,
        policy_version_id=version.id,
        facts=facts,
        evidence=evidence,
        status=TaskStatus.open,
        kind=kind,
        decision_id=decision.id if decision is not None else None,
    )
    record_created(session, actor, "review_task", task, reason=why)
    return task


def open_review(
    session: Session,
    actor: Actor,
    decision: Decision,
    kind: TaskKind,
    why: str,
) -> ReviewTask:
    """A task to look at a decision in force again: a reviewer lifts it or keeps it."""
    version, policy = published(session)
    subject = subject_facts(session, policy, decision.level, decision.subject_id)
    return _open_task(
        session,
        actor,
        version,
        subject,
        clause_id=decision.clause_id,
        outcome=decision.outcome,
        facts=_read_by(decision, subject),
        evidence=decision.evidence,
        kind=kind,
        decision=decision,
        why=why,
    )


def _read_by(decision: Decision, subject: SubjectFacts) -> dict[str, Any]:
    """The facts `decision`'s clause read, as they stand now."""
    return {name: subject.facts.get(name) for name in decision.facts}


def _reconsidered(session: Session, decision: Decision, subject: SubjectFacts) -> bool:
    """Whether a reviewer already kept `decision` on exactly the facts its clause reads."""
    kept = session.scalars(
        select(ReviewTask.facts).where(
            ReviewTask.decision_id == decision.id,
            ReviewTask.kind == TaskKind.reconsider,
            ReviewTask.status != TaskStatus.open,
            ReviewTask.resolved_by.is_not(None),
        )
    )
    now = _read_by(decision, subject)
    return any(facts == now for facts in kept)


def _close_stale_tasks(
    session: Session,
    actor: Actor,
    version: PolicyVersion,
    subject: SubjectFacts,
    fired: set[str],
) -> None:
    """An open task to apply a clause that no longer fires (the facts or the policy changed)
    asks for nothing a reviewer could do: `decide` would refuse the clause. It is closed, and
    says why; a post it held may then run."""
    for task in session.scalars(
        select(ReviewTask).where(
            ReviewTask.level == subject.level,
            ReviewTask.subject_id == subject.subject_id,
            ReviewTask.kind == TaskKind.apply,
            ReviewTask.status == TaskStatus.open,
        )
    ):
        if task.clause_id in fired:
            continue
        resolution = (
            f"clause {task.clause_id} no longer applies to {subject.label} under policy "
            f"v{version.number}: the facts or the policy changed before anyone decided"
        )
        _resolve(session, actor, task, TaskStatus.closed, resolution)


def _resolve(
    session: Session, actor: Actor, task: ReviewTask, status: TaskStatus, resolution: str
) -> None:
    verb = "decide" if status is TaskStatus.decided else "close"
    record(session, actor, "review_task", verb, task.id, reason=resolution)
    task.status = status
    task.resolved_by = actor.user_id
    task.resolution = resolution


@dataclass(frozen=True)
class Judgement:
    """What judging a subject found and did. `verdict` is None when no policy is published."""

    verdict: Verdict | None
    acted: list[Decision | ReviewTask]


def _settle_post(session: Session, actor: Actor, post_id: int) -> None:
    """A pending post that no decision rejected and no open task holds may run."""
    post = get(session, PromotedPost, post_id)
    if post.status is not PromotedPostStatus.pending:
        return
    waiting = session.scalar(
        select(ReviewTask.id).where(
            ReviewTask.level == SubjectLevel.post,
            ReviewTask.subject_id == post_id,
            ReviewTask.status == TaskStatus.open,
        )
    )
    if waiting is not None:
        return
    record(
        session,
        actor,
        "promoted_post",
        "approve",
        post.id,
        reason="no clause of the published policy stops it",
        changes={"status": [post.status.value, PromotedPostStatus.active.value]},
    )
    post.status = PromotedPostStatus.active
    bump(session, advertiser_of(session, SubjectLevel.post, post_id))


def judge(session: Session, actor: Actor, level: SubjectLevel, subject_id: int) -> Judgement:
    """Judge one subject under the published policy, as its facts stand now, and act.

    The one place a verdict becomes action. An automatic clause with the strongest outcome
    decides; a clause that needs a human opens (or keeps) a review task, unless a reviewer
    already answered it on the same facts. A decision in force whose clause no longer fires
    is never lifted here: it gets a task to reconsider it. A pending post runs once nothing
    stops it. With no policy published, nothing is judged and pending posts wait.
    """
    version = current_version(session)
    if version is None or (level is SubjectLevel.account and not _owned(session, subject_id)):
        return Judgement(None, [])  # an account no one owns has no ads to restrict
    policy = policy_of(version)
    subject = subject_facts(session, policy, level, subject_id)
    verdict = evaluate(policy, subject)
    acted: list[Decision | ReviewTask] = []
    strongest = verdict.strongest
    in_force = active_decisions(session, level, subject_id)
    current = {d.clause_id for d in in_force}
    for firing in verdict.fired:
        if firing.clause_id in current or _same_facts_settled(session, subject, firing):
            continue
        if firing.needs_human:
            task = _open_task(
                session,
                actor,
                version,
                subject,
                clause_id=firing.clause_id,
                outcome=firing.outcome,
                facts=firing.facts,
                evidence=firing.evidence,
                why=f"clause {firing.clause_id} needs a reviewer",
            )
            acted.append(task)
        elif firing is strongest:
            acted.append(
                _decide(
                    session,
                    actor,
                    version,
                    policy,
                    subject,
                    firing,
                    summary=summarise(subject, firing),
                    automated_detection=True,
                    automated_decision=True,
                )
            )
    fired = {firing.clause_id for firing in verdict.fired}
    for decision in in_force:
        if decision.clause_id not in fired and not _reconsidered(session, decision, subject):
            why = (
                f"clause {decision.clause_id} of policy v{version.number} no longer applies "
                f"to {subject.label}: lift decision {decision.id} or say why it stands"
            )
            acted.append(open_review(session, actor, decision, TaskKind.reconsider, why))
    _close_stale_tasks(session, actor, version, subject, fired)
    if level is SubjectLevel.post:
        _settle_post(session, actor, subject_id)
    return Judgement(verdict, acted)


def decide(
    session: Session,
    actor: Actor,
    level: SubjectLevel,
    subject_id: int,
    clause_id: str,
    facts_summary: str,
    *,
    task_id: int | None = None,
    territorial_scope: list[str] | None = None,
) -> Decision:
    """A staff member's decision: a clause that applies to the subject's facts, in their words."""
    if not actor.is_staff or actor.user_id is None:
        raise ForbiddenError("only a signed-in staff member decides")
    if len(facts_summary.strip()) < MIN_SUMMARY:
        raise InvalidInputError(
            f"summarise the facts in at least {MIN_SUMMARY} characters: "
            "what the subject did or is, and what shows it",
            "facts_summary",
        )
    version, policy = published(session)
    try:
        clause = policy.clause(clause_id).clause
    except KeyError:
        raise NotFoundError(f"clause in policy v{version.number}", clause_id) from None
    if clause.level is not level:
        raise InvalidInputError(
            f"clause {clause_id} applies to {clause.level.value}s, not {level.value}s", "clause_id"
        )
    task = get(session, ReviewTask, task_id) if task_id is not None else None
    if task is not None and (task.level, task.subject_id) != (level, subject_id):
        raise ConflictError(f"review task {task.id} is about another subject")
    if task is None:
        # a decision made without naming its task still answers it: it must not wait on
        task = session.scalars(
            select(ReviewTask).where(
                ReviewTask.level == level,
                ReviewTask.subject_id == subject_id,
                ReviewTask.clause_id == clause_id,
                ReviewTask.kind == TaskKind.apply,
                ReviewTask.status == TaskStatus.open,
            )
        ).first()
    subject = subject_facts(session, policy, level, subject_id)
    firing = next((f for f in evaluate(policy, subject).fired if f.clause_id == clause_id), None)
    if firing is None:
        raise ConflictError(
            f"clause {clause_id} does not apply to {subject.label}: its condition "
            f"({clause.condition}) is false on the current facts"
        )
    return _decide(
        session,
        actor,
        version,
        policy,
        subject,
        firing,
        summary=facts_summary.strip(),
        automated_detection=task is not None,
        automated_decision=False,
        task=task,
        territorial_scope=territorial_scope,
    )


def lift(
    session: Session, actor: Actor, decision_id: int, reason: str, *, reversed_: bool = False
) -> Decision:
    """End an active decision and restore what it restricted, unless another decision holds it."""
    if not actor.is_staff:
        raise ForbiddenError("only staff lift decisions")
    if not reason.strip():
        raise InvalidInputError("say why the decision ends", "reason")
    decision = get(session, Decision, decision_id)
    if decision.status is not DecisionStatus.active:
        raise ConflictError(f"decision {decision.id} is already {decision.status.value}")
    status = DecisionStatus.reversed if reversed_ else DecisionStatus.superseded
    record(
        session,
        actor,
        "decision",
        "reverse" if reversed_ else "lift",
        decision.id,
        reason=reason.strip(),
        changes={"status": [decision.status.value, status.value]},
    )
    others = _other_active_effects(session, decision.advertiser_id, {decision.id})
    restore(session, decision.effects, others, decision.advertiser_id)
    decision.status = status
    decision.status_reason = reason.strip()
    for task in session.scalars(
        select(ReviewTask).where(
            ReviewTask.decision_id == decision.id, ReviewTask.status == TaskStatus.open
        )
    ):
        resolution = f"decision {decision.id} {status.value}: {reason.strip()}"
        _resolve(session, actor, task, TaskStatus.decided, resolution)
    return decision


def close_task(session: Session, actor: Actor, task_id: int, resolution: str) -> ReviewTask:
    """A reviewer finds that no decision is called for, and says why."""
    if not actor.is_staff:
        raise ForbiddenError("only staff close review tasks")
    if len(resolution.strip()) < MIN_SUMMARY:
        raise InvalidInputError(
            f"say in at least {MIN_SUMMARY} characters what you found and why no decision "
            "is called for",
            "resolution",
        )
    task = get(session, ReviewTask, task_id)
    if task.status is not TaskStatus.open:
        raise ConflictError(f"review task {task.id} is already {task.status.value}")
    _resolve(session, actor, task, TaskStatus.closed, resolution.strip())
    return task


def clause_of(session: Session, decision: Decision) -> tuple[PolicyVersion, Clause]:
    """The clause as it stood in the policy version the decision was made under."""
    version = get(session, PolicyVersion, decision.policy_version_id)
    return version, policy_of(version).clause(decision.clause_id).clause


def _content_date(session: Session, decision: Decision) -> datetime:
    if decision.level is SubjectLevel.advertiser:
        return get(session, Advertiser, decision.subject_id).created_at
    if decision.level is SubjectLevel.account:
        return get(session, Account, decision.subject_id).created_at
    if decision.level is SubjectLevel.campaign:
        return get(session, Campaign, decision.subject_id).created_at
    return get(session, PromotedPost, decision.subject_id).created_at


def statement_for(session: Session, decision: Decision) -> dict[str, Any]:
    version, clause = clause_of(session, decision)
    url = f"{settings.public_url()}/policy/v{version.number}#clause-{clause.id}"
    return statement_of_reasons(
        decision, clause, content_date=_content_date(session, decision), clause_url=url
    )


def notice_of(session: Session, decision_id: int) -> Notice:
    found = session.scalars(
        select(Notice).where(Notice.decision_id == decision_id, Notice.kind == NoticeKind.decision)
    ).first()
    if found is None:
        raise NotFoundError("notice for decision", decision_id)
    return found
