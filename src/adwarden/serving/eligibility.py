"""Telling serving processes that who may serve has changed.

Every transaction that changes eligibility (a decision, its lifting, a campaign or post
edit) bumps one version row. On PostgreSQL the same transaction sends NOTIFY, which the
server delivers to every listening process at commit and not before; in this process,
listeners run right after the commit. A rolled-back change notifies no one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from adwarden.serving.models import EligibilityVersion

CHANNEL = "adwarden_eligibility"
_BUMPED = "adwarden.eligibility_bumped"
_listeners: list[Callable[[], None]] = []


def bump(session: Session) -> None:
    """Mark the session's transaction as changing eligibility."""
    session.execute(update(EligibilityVersion).values(version=EligibilityVersion.version + 1))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))
    session.info[_BUMPED] = True


def current_version(session: Session) -> int:
    return session.scalar(select(EligibilityVersion.version)) or 0


def on_change(listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` after every commit in this process that bumped the version; returns a
    function that stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_BUMPED, False):
        for listener in list(_listeners):
            listener()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_BUMPED, None)
