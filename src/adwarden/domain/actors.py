"""Who performed an action and through which door, as recorded in the audit log."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from adwarden.domain.enums import Role


class Source(StrEnum):
    """The first part of an audit action tag: where the action came in."""

    api = "api"
    web = "web"
    cli = "cli"
    scenario = "scenario"
    system = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in user, or a named system process, acting through one source."""

    label: str
    source: Source
    user_id: int | None = None
    role: Role | None = None
    advertiser_id: int | None = None

    @classmethod
    def system(cls, source: Source) -> Actor:
        return cls(label=f"system:{source}", source=source)

    def via(self, source: Source) -> Actor:
        return replace(self, source=source)

    @property
    def is_staff(self) -> bool:
        return self.role is not None and self.role.is_staff
