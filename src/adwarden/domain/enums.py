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
    pending = "pending"  # new or edited, waiting to be judged under the policy: never served
    active = "active"
    withdrawn = "withdrawn"
    rejected = "rejected"  # by an enforcement decision; only lifting it brings the post back


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


class SubjectLevel(StrEnum):
    """Where a decision bites: one promoted post, a campaign, an account, or the advertiser."""

    post = "post"
    campaign = "campaign"
    account = "account"
    advertiser = "advertiser"


class Outcome(StrEnum):
    reject_post = "reject_post"
    pause_campaign = "pause_campaign"
    account_ineligible = "account_ineligible"
    off_board = "off_board"
    review_required = "review_required"
    label = "label"

    @property
    def strength(self) -> int:
        """Which outcome wins when several clauses fire on one subject."""
        return _OUTCOME_STRENGTH[self]

    @property
    def levels(self) -> frozenset[SubjectLevel]:
        """The subject levels the outcome can be applied at."""
        return _OUTCOME_LEVELS[self]


_OUTCOME_STRENGTH = {
    Outcome.label: 0,
    Outcome.review_required: 1,
    Outcome.reject_post: 2,
    Outcome.pause_campaign: 3,
    Outcome.account_ineligible: 4,
    Outcome.off_board: 5,
}
_OUTCOME_LEVELS = {
    Outcome.reject_post: frozenset({SubjectLevel.post}),
    Outcome.pause_campaign: frozenset({SubjectLevel.campaign}),
    Outcome.account_ineligible: frozenset({SubjectLevel.account}),
    Outcome.off_board: frozenset({SubjectLevel.advertiser}),
    Outcome.review_required: frozenset(SubjectLevel),
    Outcome.label: frozenset(SubjectLevel),
}


class GroundKind(StrEnum):
    legal = "legal"  # the law requires it (DSA: illegal content)
    terms = "terms"  # the platform's own terms (DSA: incompatible with terms)


class DsaCategory(StrEnum):
    """Statement categories of the EU DSA Transparency Database, API v2."""

    animal_welfare = "STATEMENT_CATEGORY_ANIMAL_WELFARE"
    consumer_information = "STATEMENT_CATEGORY_CONSUMER_INFORMATION"
    cyber_violence = "STATEMENT_CATEGORY_CYBER_VIOLENCE"
    cyber_violence_against_women = "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN"
    data_protection = "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS"
    illegal_or_harmful_speech = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    intellectual_property = "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    civic_discourse_or_elections = (
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
    )
    not_specified_notice = "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE"
    other_violation_tc = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    protection_of_minors = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    risk_for_public_security = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
    scams_and_fraud = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
    self_harm = "STATEMENT_CATEGORY_SELF_HARM"
    unsafe_and_prohibited_products = "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS"
    violence = "STATEMENT_CATEGORY_VIOLENCE"


class DecisionStatus(StrEnum):
    active = "active"
    superseded = "superseded"  # a later decision on the same subject replaced it, or it was lifted
    reversed = "reversed"  # found wrong, on appeal or review


class TaskKind(StrEnum):
    """What a review task asks of a reviewer."""

    apply = "apply"  # a clause that needs a human fired: decide under it, or close
    reconsider = "reconsider"  # a decision in force whose clause no longer fires: lift or keep
    rereview = "rereview"  # a decision came due for its clause's periodic look: lift or keep


class TaskStatus(StrEnum):
    open = "open"
    decided = "decided"  # a reviewer made a decision from it
    closed = "closed"  # a reviewer found no decision was called for


class AppealStatus(StrEnum):
    open = "open"  # filed, waiting for or with a reviewer
    decided = "decided"


class AppealOutcome(StrEnum):
    upheld = "upheld"  # the decision stands
    reversed = "reversed"  # the decision was wrong: it is reversed and what it stopped restarts
    modified = "modified"  # a different decision, under its own clause, replaces it


class NoticeKind(StrEnum):
    """What a message to an advertiser is about: a decision, or a step of an appeal."""

    decision = "decision"
    appeal_filed = "appeal_filed"
    appeal_assigned = "appeal_assigned"
    appeal_overdue = "appeal_overdue"
    appeal_decided = "appeal_decided"


class LedgerKind(StrEnum):
    impression = "impression"
    click = "click"
