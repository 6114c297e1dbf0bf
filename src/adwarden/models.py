"""Every stage's tables, imported in one place so that `Base.metadata` is complete.

Migrations and the composition roots (web app, CLI) import this module;
stages never do.
"""

from adwarden.appeals.models import Appeal, AppealAttachment
from adwarden.audit import services as _audit_guard  # noqa: F401  (installs the audit guard)
from adwarden.audit.models import AuditEvent
from adwarden.auth.models import ApiToken, User, WebSession
from adwarden.enforcement import live as _live_loop  # noqa: F401  (judges each change at commit)
from adwarden.enforcement.models import Decision, Notice, ReviewTask
from adwarden.lists.models import ListEntryRecord, ListVersion, WatchList
from adwarden.policy.models import PolicyVersion
from adwarden.registry.models import (
    Account,
    Advertiser,
    AdvertiserName,
    AdvertiserNameKey,
    AdvertiserPerson,
    OrganicPost,
    Person,
    PersonName,
    RegistrationId,
)
from adwarden.screening.models import ScreeningHit
from adwarden.serving.models import (
    Campaign,
    DailySpend,
    EligibilityVersion,
    LedgerEvent,
    Placement,
    PostDelivery,
    PromotedPost,
)
from adwarden.store.base import Base
from adwarden.transparency import publish as _publication  # noqa: F401  (logs what is published)
from adwarden.transparency.models import LogEntry, LogHead, LogNode, TreeHead

metadata = Base.metadata

__all__ = [
    "Account",
    "Advertiser",
    "AdvertiserName",
    "AdvertiserNameKey",
    "AdvertiserPerson",
    "ApiToken",
    "Appeal",
    "AppealAttachment",
    "AuditEvent",
    "Campaign",
    "DailySpend",
    "Decision",
    "EligibilityVersion",
    "LedgerEvent",
    "ListEntryRecord",
    "ListVersion",
    "LogEntry",
    "LogHead",
    "LogNode",
    "Notice",
    "OrganicPost",
    "Person",
    "PersonName",
    "Placement",
    "PolicyVersion",
    "PostDelivery",
    "PromotedPost",
    "RegistrationId",
    "ReviewTask",
    "ScreeningHit",
    "TreeHead",
    "User",
    "WatchList",
    "WebSession",
    "metadata",
]
