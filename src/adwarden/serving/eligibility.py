"""Telling serving processes that who may serve has changed, and for whom.

Every transaction that changes eligibility (a decision, its lifting, a campaign or post
edit) bumps one version row and names the advertiser concerned. On PostgreSQL the same
transaction sends NOTIFY with `version:advertiser`, which the server delivers to every
listening process at commit and not before; in this process, listeners run right after
the commit. A rolled-back change notifies no one. A process that sees a version follow
its own patches just that advertiser's campaigns; one that missed a version reloads all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from adwarden.serving.models import EligibilityVersion

CHANNEL = "adwarden_eligibility"
_CHANGES = "adwarden.eligibility_changes"


@dataclass(frozen=True)
class Change:
    version: int
    advertiser_id: int | None  # None: anything may have changed

    def payload(self) -> str:
        return f"{self.version}:{self.advertiser_id or ''}"

    @classmethod
    def parse(cls, payload: str) -> Change | None:
        version, _, advertiser = payload.partition(":")
        if not version.isdigit() or (advertiser and not advertiser.isdigit()):
            return None
        return cls(int(version), int(advertiser) if advertiser else None)


_listeners: list[Callable[[Change], None]] = []


def bump(session: Session, advertiser_id: int | None) -> Change:
    """Record in the session's transaction that `advertiser_id`'s ads may serve differently."""
    version = session.execute(
        update(EligibilityVersion)
        .values(version=EligibilityVersion.version + 1)
        .returning(EligibilityVersion.version)
    ).scalar_one()
    change = Change(version, advertiser_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :payload)"), {
            "channel": CHANNEL, "payload": change.payload()
        })  # fmt: skip
    session.info.setdefault(_CHANGES, []).append(change)
    return change


def current_version(session: Session) -> int:
    return session.scalar(select(EligibilityVersion.version)) or 0


def on_change(listener: Callable[[Change], None]) -> Callable[[], None]:
    """Call `listener` with each change committed in this process; returns a function that
    stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


_SAVEPOINT_UNDONE = "adwarden.eligibility_savepoint_undone"


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: nothing is committed until the transaction is
    changes = session.info.pop(_CHANGES, [])
    if session.info.pop(_SAVEPOINT_UNDONE, False):
        # a savepoint's bump was undone, so a later bump may have reused its version for
        # another advertiser: the listeners cannot tell whose, and reload everything
        changes = [Change(change.version, None) for change in changes]
    for change in changes:
        for listener in list(_listeners):
            listener(change)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    if session.in_nested_transaction():
        if session.info.get(_CHANGES):
            session.info[_SAVEPOINT_UNDONE] = True
        return
    session.info.pop(_CHANGES, None)
    session.info.pop(_SAVEPOINT_UNDONE, None)
