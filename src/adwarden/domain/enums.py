"""Closed sets of values used across stages.

Every enum's values are stored in the database and appear in the API, so a
value, once released, is never renamed.
"""

from enum import StrEnum


class AdvertiserKind(StrEnum):
    organization = "organization"
    person = "person"


class NameKind(StrEnum):
    """Why a name belongs to a subject: screening treats all of them alike."""

    primary = "primary"
    legal = "legal"
    alias = "alias"
    former = "former"
    transliteration = "transliteration"


class PersonRole(StrEnum):
    owner = "owner"
    officer = "officer"
    founder = "founder"


class CampaignStatus(StrEnum):
    draft = "draft"
    active = "active"
    paused = "paused"
    ended = "ended"


class PromotedPostStatus(StrEnum):
    active = "active"
    withdrawn = "withdrawn"


class Role(StrEnum):
    """Who a signed-in user is. The public needs no account and has no role row."""

    advertiser = "advertiser"
    reviewer = "reviewer"
    policy_admin = "policy_admin"
    admin = "admin"

    @property
    def is_staff(self) -> bool:
        return self is not Role.advertiser


STAFF_ROLES = frozenset(role for role in Role if role.is_staff)


class ListKind(StrEnum):
    """What a list is. What a match against it means is the policy's business."""

    sanctions = "sanctions"
    directive = "directive"
    state_media = "state_media"
    scrutiny = "scrutiny"
    custom = "custom"


class ListFormat(StrEnum):
    ofac_csv = "ofac-csv"
    un_xml = "un-xml"
    ftm = "ftm"
    csl_csv = "csl-csv"
    csv = "csv"


class EntityType(StrEnum):
    """The kind of thing a name belongs to, on a list or in a query."""

    person = "person"
    organization = "organization"
    vessel = "vessel"
    aircraft = "aircraft"
    unknown = "unknown"


class HitStatus(StrEnum):
    open = "open"
    confirmed = "confirmed"
    dismissed = "dismissed"
    closed = "closed"  # the list entry left the list
