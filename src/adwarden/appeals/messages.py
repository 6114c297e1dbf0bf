"""What the advertiser is told at each step of an appeal: received, assigned, late, answered."""

from __future__ import annotations

from dataclasses import dataclass

from adwarden import settings
from adwarden.appeals.models import Appeal
from adwarden.domain.enums import AppealOutcome, NoticeKind
from adwarden.enforcement.models import Decision
from adwarden.enforcement.notices import Sections
from adwarden.enforcement.statement import appeal_deadline
from adwarden.policy.document import Clause

# DSA Article 21: a certified body may settle the dispute out of court; a court always can.
FURTHER_REDRESS = (
    "If you disagree with this answer, you can take the dispute to a certified out-of-court "
    "dispute settlement body (EU Digital Services Act, Article 21) or to a court."
)


@dataclass(frozen=True)
class Message:
    kind: NoticeKind
    subject: str
    sections: Sections


def _decision_line(decision: Decision) -> str:
    return (
        f"Decision {decision.id}: {decision.outcome.value.replace('_', ' ')} for "
        f"{decision.subject_label} under clause {decision.clause_id}, made "
        f"{decision.starts_at:%Y-%m-%d}. Statement of reasons: "
        f"{settings.public_url()}/my/decisions/{decision.id}"
    )


def _follow(appeal: Appeal) -> str:
    return f"Follow your appeal: {settings.public_url()}/my/appeals/{appeal.id}"


def filed_message(appeal: Appeal, decision: Decision, clause: Clause) -> Message:
    files = [f"{a.filename} ({a.media_type}, {a.size} bytes)" for a in appeal.attachments]
    return Message(
        NoticeKind.appeal_filed,
        f"Appeal {appeal.id} received: decision {decision.id} will be answered by "
        f"{appeal.due_at:%Y-%m-%d}",
        [
            ("The decision you appealed", [_decision_line(decision)]),
            ("Your arguments", list(appeal.arguments)),
            *([("Your attachments", files)] if files else []),
            (
                "What happens next",
                [
                    f"A reviewer who took no part in decision {decision.id} reads your appeal "
                    f"and answers each of your {len(appeal.arguments)} arguments by "
                    f"{appeal.due_at:%Y-%m-%d %H:%M} UTC ({clause.appeal_sla_days} days, the "
                    f"deadline clause {clause.id} sets). If we are late, a policy admin takes "
                    f"the appeal over and we tell you. {_follow(appeal)}"
                ],
            ),
            (
                "Meanwhile",
                [
                    f"Decision {decision.id} stays in force until the appeal is decided. "
                    "Your accounts and their organic posts are not affected."
                ],
            ),
        ],
    )


def assigned_message(appeal: Appeal, decision: Decision, clause: Clause) -> Message:
    return Message(
        NoticeKind.appeal_assigned,
        f"Appeal {appeal.id}: a reviewer is working on it",
        [
            ("The decision you appealed", [_decision_line(decision)]),
            (
                "Who answers",
                [
                    f"A reviewer who took no part in decision {decision.id} now has your "
                    f"appeal, and answers it by {appeal.due_at:%Y-%m-%d %H:%M} UTC. "
                    f"{_follow(appeal)}"
                ],
            ),
        ],
    )


def overdue_message(appeal: Appeal, decision: Decision, clause: Clause) -> Message:
    return Message(
        NoticeKind.appeal_overdue,
        f"Appeal {appeal.id} is overdue: we have escalated it",
        [
            ("The decision you appealed", [_decision_line(decision)]),
            (
                "We are late",
                [
                    f"We promised an answer by {appeal.due_at:%Y-%m-%d %H:%M} UTC and have not "
                    "given one. The appeal has gone to our policy admins, who answer it next. "
                    f"{_follow(appeal)}"
                ],
            ),
        ],
    )


def _what_changes(appeal: Appeal, decision: Decision, new: Decision | None) -> str:
    if appeal.outcome is AppealOutcome.reversed:
        return (
            f"Decision {decision.id} is reversed and published as reversed, with this answer "
            "as the reason. What it stopped starts again now: your accounts may promote "
            "posts and your campaigns are back as they were."
        )
    if appeal.outcome is AppealOutcome.modified and new is not None:
        return (
            f"Decision {decision.id} is replaced by decision {new.id}: "
            f"{new.outcome.value.replace('_', ' ')} under clause {new.clause_id}. You get a "
            f"notice for decision {new.id} with its own reasons, and you can appeal it."
        )
    return f"Decision {decision.id} stays in force as it was."


def decided_message(
    appeal: Appeal, decision: Decision, clause: Clause, new: Decision | None
) -> Message:
    assert appeal.outcome is not None
    assert appeal.answer is not None
    answered = [f"“{point['argument']}”: {point['addressed']}" for point in appeal.points or []]
    again = (
        []
        if appeal.outcome is not AppealOutcome.upheld
        else [
            f"You may appeal decision {decision.id} again, with new arguments, until "
            f"{appeal_deadline(decision, clause):%Y-%m-%d}."
        ]
    )
    return Message(
        NoticeKind.appeal_decided,
        f"Appeal {appeal.id}: decision {decision.id} {appeal.outcome.value}",
        [
            ("The decision you appealed", [_decision_line(decision)]),
            ("The answer", [appeal.answer]),
            ("Your arguments, one by one", answered),
            ("What changes now", [_what_changes(appeal, decision, new)]),
            (
                "Who decided",
                [
                    f"{appeal.decided_by_label}, who took no part in decision {decision.id}, on "
                    f"{appeal.decided_at:%Y-%m-%d}."
                ],
            ),
            ("If you disagree", [FURTHER_REDRESS, *again]),
        ],
    )
