"""The notice an advertiser receives for a decision: specific, complete, or not sent at all.

A notice names the clause and its text, the facts of this subject, the
evidence, what stops and what goes on, the end or re-review date, and how to
appeal. A draft missing any of these raises instead of being stored.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from adwarden import settings
from adwarden.audit.services import record_created
from adwarden.domain.actors import Actor
from adwarden.domain.enums import Outcome
from adwarden.domain.errors import AdwardenError
from adwarden.enforcement.models import Decision, Notice
from adwarden.enforcement.statement import appeal_deadline
from adwarden.policy.document import Clause
from adwarden.registry.models import Account
from adwarden.serving.models import Campaign
from adwarden.serving.money import words as money_words


class IncompleteNoticeError(AdwardenError):
    def __init__(self, decision_id: int, missing: list[str]) -> None:
        super().__init__(
            f"the notice for decision {decision_id} cannot be sent: it lacks {', '.join(missing)}"
        )
        self.missing = missing


Sections = list[tuple[str, list[str]]]


def render_text(subject: str, sections: Sections) -> str:
    """A message as e-mail-ready plain text: the subject, then each titled section."""
    lines = [subject, ""]
    for title, items in sections:
        lines.append(f"{title}:")
        lines += [f"  - {item}" if len(items) > 1 else f"  {item}" for item in items]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_html(subject: str, sections: Sections) -> str:
    parts = [f"<h1>{html.escape(subject)}</h1>"]
    for title, items in sections:
        parts.append(f"<h2>{html.escape(title)}</h2>")
        if len(items) > 1:
            parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
        else:
            parts.append(f"<p>{html.escape(items[0])}</p>")
    return "\n".join(parts) + "\n"


@dataclass(frozen=True)
class NoticeDraft:
    decision_id: int
    subject: str
    clause: str  # "3.1 Products barred by ..."
    clause_text: str
    facts: str
    evidence: tuple[str, ...]
    stops: tuple[str, ...]
    continues: tuple[str, ...]
    until: str
    appeal: str
    money: tuple[str, ...] = ()  # unspent prepaid budget of the campaigns it paused

    def missing(self) -> list[str]:
        parts = {
            "the clause": self.clause,
            "the clause's text": self.clause_text,
            "the facts": self.facts,
            "the evidence": self.evidence,
            "what stops": self.stops,
            "what goes on": self.continues,
            "an end or re-review date": self.until,
            "how to appeal": self.appeal,
        }
        return [name for name, value in parts.items() if not value]

    def sections(self) -> Sections:
        return [
            ("The rule", [f"Clause {self.clause}", self.clause_text]),
            ("The facts", [self.facts]),
            ("The evidence", list(self.evidence)),
            ("What stops", list(self.stops)),
            ("What goes on", list(self.continues)),
            *([("Your unspent budget", list(self.money))] if self.money else []),
            ("How long", [self.until]),
            ("How to appeal", [self.appeal]),
        ]

    def text(self) -> str:
        return render_text(self.subject, self.sections())

    def html(self) -> str:
        return render_html(self.subject, self.sections())


def _entry_says(item: dict[str, object]) -> str:
    """What the list itself records about an entry: program, date, notes, where published."""
    programs = item.get("programs")
    said = [", ".join(str(p) for p in programs)] if isinstance(programs, list) and programs else []
    said += [f"listed {item['listed_on']}"] if item.get("listed_on") else []
    said += [str(item["notes"])] if item.get("notes") else []
    said += [f"source: {item['source_url']}"] if item.get("source_url") else []
    return f". The list records: {'; '.join(said)}" if said else ""


def _evidence_line(item: dict[str, object]) -> str:
    if "entry_id" in item:
        return (
            f"{item['list']} entry {item['entry_id']} “{item['entry_name']}” matched the name "
            f"“{item['subject_name']}” (score {float(str(item['score'])):.2f}): "
            f"{item['explanation']}{_entry_says(item)}"
        )
    return str(item.get("description") or item)


def _restricted(session: Session, decision: Decision) -> tuple[list[str], list[str]]:
    accounts = [
        f"@{account.handle}"
        for item in decision.effects.get("accounts", [])
        if (account := session.get(Account, item["id"])) is not None
    ]
    campaigns = [
        f"campaign “{campaign.name}”"
        for item in decision.effects.get("campaigns", [])
        if (campaign := session.get(Campaign, item["id"])) is not None
    ]
    return accounts, campaigns


def _stops_and_continues(session: Session, decision: Decision) -> tuple[list[str], list[str]]:
    accounts, campaigns = _restricted(session, decision)
    outcome = decision.outcome
    if outcome is Outcome.off_board:
        stops = ["buying ads: no campaign of yours runs and no post of yours is promoted"]
        stops += [f"promoting posts from {', '.join(accounts)}"] if accounts else []
        stops += [f"{', '.join(campaigns)} paused"] if campaigns else []
        return stops, ["your accounts and their organic posts stay up; you can keep posting"]
    if outcome is Outcome.account_ineligible:
        return (
            [f"promoting posts from {', '.join(accounts)}"],
            ["organic posts from the account, and ads from your other accounts"],
        )
    if outcome is Outcome.pause_campaign:
        return ([f"{', '.join(campaigns)} paused"], ["your other campaigns and all organic posts"])
    if outcome is Outcome.reject_post:
        return (
            [f"{decision.subject_label} will not run"],
            ["your other promoted posts, your campaigns and all organic posts"],
        )
    return ([], [])


def _unspent(decision: Decision) -> tuple[str, ...]:
    paused = [c for c in decision.effects.get("campaigns", []) if c.get("unspent_micros")]
    return tuple(
        f"campaign “{c['name']}”: {money_words(c['unspent_micros'], c['currency'])} prepaid and "
        "not spent when it paused"
        for c in paused
    )


def draft_notice(session: Session, decision: Decision, clause: Clause) -> NoticeDraft:
    stops, continues = _stops_and_continues(session, decision)
    review = decision.starts_at + timedelta(days=clause.rereview_days)
    until = (
        f"until {decision.ends_at:%Y-%m-%d}" if decision.ends_at else f"{clause.end_rule}"
    ) + f"; a reviewer looks at it again by {review:%Y-%m-%d}"
    deadline = appeal_deadline(decision, clause)
    appeal = (
        f"Appeal free of charge from this notice in your advertiser area by {deadline:%Y-%m-%d}. "
        f"A person other than the one who decided answers within {clause.appeal_sla_days} days. "
        f"Appeal at {settings.public_url()}/my/decisions/{decision.id}. "
        f"The statement of reasons is public at {settings.public_url()}/decisions/{decision.id}. "
        f"The policy is public; anyone can check a set of facts against it at "
        f"{settings.public_url()}/self-check"
    )
    decided = (
        "decided automatically"
        if decision.automated_decision
        else (f"decided by {decision.decided_by_label}")
    )
    return NoticeDraft(
        decision_id=decision.id,
        subject=f"Decision {decision.id}: {decision.outcome.value.replace('_', ' ')} for "
        f"{decision.subject_label}, under clause {clause.id} ({decided})",
        clause=f"{clause.id} {clause.title}",
        clause_text=clause.text.strip(),
        facts=decision.facts_summary,
        evidence=tuple(_evidence_line(item) for item in decision.evidence),
        stops=tuple(stops),
        continues=tuple(continues),
        until=until,
        appeal=appeal,
        money=_unspent(decision),
    )


def send_notice(
    session: Session,
    actor: Actor,
    decision: Decision,
    clause: Clause,
    draft: NoticeDraft | None = None,
) -> Notice:
    """Store the notice for the advertiser; an incomplete one is refused, and the decision with it."""
    draft = draft or draft_notice(session, decision, clause)
    missing = draft.missing()
    if missing:
        raise IncompleteNoticeError(decision.id, missing)
    notice = Notice(
        decision_id=decision.id,
        advertiser_id=decision.advertiser_id,
        subject=draft.subject[:300],
        body_text=draft.text(),
        body_html=draft.html(),
    )
    record_created(session, actor, "notice", notice, reason=f"decision {decision.id}")
    return notice
