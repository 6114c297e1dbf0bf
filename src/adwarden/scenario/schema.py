"""The shape of a scenario folder's YAML files.

Real companies and people carry `fictional: false` and must cite their sources;
fictional ones must use reserved `.example` domains so no one mistakes them for
a real business.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from adwarden.appeals.answers import MIN_ANSWER
from adwarden.appeals.services import MAX_ARGUMENT, MAX_ARGUMENTS, MIN_ARGUMENT
from adwarden.domain.enums import ListFormat, ListKind, PersonRole, Role
from adwarden.domain.fields import Handle, Name, ShortText, Text, Timestamp, WebUrl
from adwarden.domain.inputs import Input
from adwarden.registry.inputs import AdvertiserIn, OrganicPostIn, PersonIn
from adwarden.serving.inputs import CampaignIn

Key = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="stable id within the scenario")


def _is_example_domain(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return (
        host == "example"
        or host.endswith((".example", ".example.com", ".example.org"))
        or (host in {"example.com", "example.org", "example.net"})
    )


class Provenance(Input):
    fictional: bool
    sources: list[Text] = Field(default=[], description="where each real fact comes from")

    @model_validator(mode="after")
    def _real_needs_source(self) -> Provenance:
        if not self.fictional and not self.sources:
            raise ValueError(
                "a real company or person needs `sources` naming where its facts come from"
            )
        return self


class ScenarioPlacement(Input):
    """A place the demo's ad server fills, and the lowest CPM it sells at."""

    key: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    reserve_cpm: Decimal = Field(ge=0, le=Decimal("100000"), decimal_places=2)


class ScenarioMeta(Input):
    title: ShortText
    description: Text
    now: Timestamp = Field(description="the scenario's 'today': demo clocks read this")
    placements: list[ScenarioPlacement] = Field(default_factory=list)


class ScenarioPerson(PersonIn):
    key: str = Key
    fictional: bool
    sources: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _provenance(self) -> ScenarioPerson:
        Provenance(fictional=self.fictional, sources=self.sources)
        return self


class ScenarioPeopleFile(Input):
    people: list[ScenarioPerson]


class ScenarioRole(Input):
    person: str = Key
    role: PersonRole
    title: ShortText | None = None


class ScenarioAccount(Input):
    handle: Handle
    display_name: ShortText
    opened_at: Timestamp | None = None
    posts: list[OrganicPostIn] = Field(default_factory=list)


class ScenarioPromotedPost(Input):
    account: Handle = Field(description="handle of one of the advertiser's accounts")
    text: Text = Field(max_length=5000)
    landing_url: WebUrl | None = None


class ScenarioCampaign(CampaignIn):
    created_at: Timestamp | None = None
    promoted_posts: list[ScenarioPromotedPost] = Field(default_factory=list)


class ScenarioAdvertiser(AdvertiserIn):
    key: str = Key
    fictional: bool
    sources: list[Text] = Field(default_factory=list)
    created_at: Timestamp | None = None
    people: list[ScenarioRole] = Field(default_factory=list)
    accounts: list[ScenarioAccount] = Field(default_factory=list)
    campaigns: list[ScenarioCampaign] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioAdvertiser:
        Provenance(fictional=self.fictional, sources=self.sources)
        handles = {a.handle for a in self.accounts}
        for campaign in self.campaigns:
            for post in campaign.promoted_posts:
                if post.account not in handles:
                    raise ValueError(
                        f"campaign {campaign.name!r} promotes from @{post.account}, "
                        f"which is not one of this advertiser's accounts {sorted(handles)}"
                    )
        if self.fictional:
            urls = [self.website] + [
                p.landing_url for c in self.campaigns for p in c.promoted_posts
            ]
            for url in urls:
                if url is not None and not _is_example_domain(url):
                    raise ValueError(
                        f"fictional advertiser uses {url}: use a reserved .example domain"
                    )
        return self


class ScenarioUnownedAccountsFile(Input):
    accounts: list[ScenarioAccount]


class ScenarioUser(Input):
    email: str = Field(
        pattern=r"^[^@\s]+@[^@\s]+\.example$", description="a reserved .example address"
    )
    name: Name
    role: Role
    advertiser: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")

    @model_validator(mode="after")
    def _advertiser_iff_role(self) -> ScenarioUser:
        if (self.role is Role.advertiser) != (self.advertiser is not None):
            raise ValueError("advertiser users name their `advertiser` key; staff users name none")
        return self


class ScenarioUsersFile(Input):
    users: list[ScenarioUser]


class ScenarioList(Input):
    """A list of the scenario, imported before anything is screened against it: either a
    file of the scenario's own, or a published list read in place from the shared data."""

    file: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_./-]*$",
        description="path inside the scenario folder",
    )
    shared: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_/-]*(\.[a-z0-9]+)?$",
        description="path inside the shared public data folder (ADWARDEN_SHARED_DATA)",
    )
    list: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    kind: ListKind
    format: ListFormat = ListFormat.csv

    @model_validator(mode="after")
    def _one_place(self) -> ScenarioList:
        if (self.file is None) == (self.shared is None):
            raise ValueError(f"list {self.list}: give exactly one of `file` and `shared`")
        return self


class ScenarioListsFile(Input):
    lists: list[ScenarioList]


class ScenarioHitReview(Input):
    """A reviewer's call on a screening hit: which list entry, which advertiser, and why."""

    list: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    entry: str
    advertiser: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    review: Literal["confirm", "dismiss"]
    by: str
    reason: Text


class ScenarioDecision(Input):
    """A staff member's decision on an advertiser's review task."""

    advertiser: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    clause: str
    by: str
    facts_summary: Text


AppealPoint = Annotated[Text, Field(min_length=MIN_ARGUMENT, max_length=MAX_ARGUMENT)]


class ScenarioAppealAnswer(Input):
    """A reviewer's answer to an appeal: the outcome, the reasons, and one reply per argument,
    in the order the arguments were filed. Never by the appealed decision's decider."""

    by: str = Field(description="a reviewer or policy admin who took no part in the decision")
    outcome: Literal["upheld", "reversed"]
    answer: Annotated[Text, Field(min_length=MIN_ANSWER)]
    points: list[AppealPoint] = Field(min_length=1, max_length=MAX_ARGUMENTS)


class ScenarioAppeal(Input):
    """An advertiser user's appeal of one of its decisions, named as a `decisions:` item names
    it (advertiser key and clause), and, if it is answered in the demo, the answer."""

    advertiser: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    clause: str
    filed_by: str = Field(description="a user of that advertiser in users.yaml")
    arguments: list[AppealPoint] = Field(min_length=1, max_length=MAX_ARGUMENTS)
    answer: ScenarioAppealAnswer | None = None

    @model_validator(mode="after")
    def _a_point_per_argument(self) -> ScenarioAppeal:
        if self.answer is not None and len(self.answer.points) != len(self.arguments):
            raise ValueError(
                f"answer.points gives {len(self.answer.points)} replies to "
                f"{len(self.arguments)} arguments: answer each argument, in order"
            )
        return self


class ScenarioEnforcementFile(Input):
    policy_file: str = Field(description="the policy to publish, relative to the scenario folder")
    published_by: str
    changelog: Text
    hit_reviews: list[ScenarioHitReview] = Field(default_factory=list)
    decisions: list[ScenarioDecision] = Field(default_factory=list)
    appeals: list[ScenarioAppeal] = Field(
        default_factory=list, description="filed once the decisions are made, in this order"
    )
