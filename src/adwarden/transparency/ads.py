"""The public ads repository (DSA Article 39): every promoted post that ran or was set to run,
who is behind it and who paid, when it was shown, roughly how much, to whom, and every
decision that restricted it.

Nothing is ever removed: an ad stays listed for as long as the database holds it, which is
longer than the year after its last showing that Article 39 asks for. An ad restricted by a
decision stays listed; its content is withheld when the decision's clause says so, and the
statement of reasons is linked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    cast,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from adwarden import settings
from adwarden.domain.enums import CampaignStatus, DecisionStatus, PromotedPostStatus, SubjectLevel
from adwarden.enforcement.models import Decision
from adwarden.registry.models import Account, Advertiser
from adwarden.serving.models import Campaign, PostDelivery, PromotedPost
from adwarden.serving.money import MICROS_PER_CENT
from adwarden.store.base import utcnow
from adwarden.store.queries import among
from adwarden.transparency.decisions import (
    Page,
    capped_count,
    count_cap,
    day_start,
    versions_by_id,
)
from adwarden.transparency.names import named
from adwarden.transparency.records import stamp

RETENTION = timedelta(days=366)

# Ranges, not exact figures, as ad libraries publish them: an advertiser's exact spend is
# its business, the order of magnitude is the public's.
IMPRESSION_BOUNDS = (0, 1, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000)
SPEND_BOUNDS = (0, 1, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000)  # currency units


# a time, or in a statement compiled once the parameter that stands for it
Moment = datetime | ColumnElement[datetime]


class AdStatus(StrEnum):
    running = "running"  # may be shown now
    restricted = "restricted"  # stopped by an enforcement decision
    stopped = "stopped"  # ended, paused or withdrawn by the advertiser, or not yet started


class AdSort(StrEnum):
    newest = "newest"
    last_shown = "last_shown"
    impressions = "impressions"
    spend = "spend"


@dataclass(frozen=True)
class AdFilters:
    advertiser: str | None = None
    text: str | None = None
    country: str | None = None  # where it may be shown: targeted there, or everywhere
    since: date | None = None  # shown on or after
    until: date | None = None  # shown on or before
    status: AdStatus | None = None
    sort: AdSort = AdSort.newest


def bucket(value: int, bounds: Sequence[int]) -> dict[str, int | None]:
    """The range `value` falls in: lower bound inclusive, upper exclusive (None: no upper)."""
    lower = max(bound for bound in bounds if bound <= value)
    above = [bound for bound in bounds if bound > value]
    return {"lower": lower, "upper": above[0] if above else None}


def _restricted(*, looked_up: bool = False) -> ColumnElement[bool]:
    # the few barred accounts are looked up (once, through their own index), not joined: a
    # walk then tests each ad it reads against them without a join per ad. `looked_up`:
    # held campaigns too, so that a walk joins an ad's campaign only once the ad matched
    # (not under NOT: PostgreSQL then hashes every campaign to anti-join them)
    barred = select(Account.id).where(not_(Account.ads_eligible)).correlate(None)
    held = select(Campaign.id).where(Campaign.held).correlate(None)
    return or_(
        PromotedPost.status == PromotedPostStatus.rejected,
        PromotedPost.campaign_id.in_(held) if looked_up else Campaign.held,
        PromotedPost.account_id.in_(barred),
    )


def _running(now: Moment) -> ColumnElement[bool]:
    return and_(
        not_(_restricted()),
        Campaign.status == CampaignStatus.active,
        PromotedPost.status == PromotedPostStatus.active,
        or_(Campaign.starts_at.is_(None), Campaign.starts_at <= now),
        or_(Campaign.ends_at.is_(None), Campaign.ends_at > now),
    )


# PostgreSQL only, and not a model column (store.migrate.POSTGRES_ONLY_COLUMNS)
_TEXT_VECTOR: ColumnElement[Any] = literal_column("promoted_posts.text_search")


def _text_condition(session: Session, words_typed: str) -> ColumnElement[bool]:
    words = re.findall(r"\w+", words_typed.lower())
    if not words:
        return true()
    if session.get_bind().dialect.name == "postgresql":
        # the stored to_tsvector('simple', text) and its GIN index (migration 0010); the last
        # word may be one being typed, so it is a prefix; whole words before it let the index
        # skip through a common word's entries instead of reading them all
        query = " & ".join([*words[:-1], f"{words[-1]}:*"])
        simple: ColumnElement[str] = literal_column("'simple'::regconfig")
        return _TEXT_VECTOR.op("@@")(func.to_tsquery(simple, query))
    folded = func.casefold(PromotedPost.text)  # registered on every SQLite connection
    return and_(*(folded.contains(word.casefold(), autoescape=True) for word in words))


def _country_condition(session: Session, country: str) -> ColumnElement[bool]:
    code = country.upper()
    if session.get_bind().dialect.name == "postgresql":
        targeted = cast(Campaign.countries, JSONB)
        return or_(
            targeted == cast(literal("[]"), JSONB),
            targeted.op("@>")(cast(literal(f'["{code}"]'), JSONB)),
        )
    each = func.json_each(Campaign.countries).table_valued("value")
    return or_(
        func.json_array_length(Campaign.countries) == 0,
        exists(select(1).select_from(each).where(each.c.value == code)),
    )


def ad_conditions(session: Session, filters: AdFilters, now: Moment) -> list[ColumnElement[bool]]:
    # a draft's ad is listed once it was shown or a decision was made on it; until then it
    # is the advertiser's unpublished work
    # a scalar lookup, not EXISTS: PostgreSQL would hash every post decision to test it
    decided = (
        select(Decision.id)
        .where(Decision.level == SubjectLevel.post, Decision.subject_id == PromotedPost.id)
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )
    found: list[ColumnElement[bool]] = [
        or_(
            Campaign.status != CampaignStatus.draft,
            PostDelivery.promoted_post_id.is_not(None),
            and_(Campaign.status == CampaignStatus.draft, decided),  # looked up for drafts only
        )
    ]
    if filters.advertiser or filters.text:
        # a removed ad withholds its content and whose it is: neither may find it either
        found.append(PromotedPost.status != PromotedPostStatus.rejected)
    if filters.advertiser:
        found += named(Campaign.advertiser_id, filters.advertiser)
    if filters.text:
        found.append(_text_condition(session, filters.text))
    if filters.country:
        found.append(_country_condition(session, filters.country))
    if filters.since:
        found.append(PostDelivery.last_shown_at >= day_start(filters.since))
    if filters.until and filters.until < date.max:  # inclusive: the whole day
        found.append(PostDelivery.first_shown_at < day_start(filters.until + timedelta(days=1)))
    if filters.status is AdStatus.restricted:
        found.append(_restricted(looked_up=True))
    elif filters.status is AdStatus.running:
        found.append(_running(now))
    elif filters.status is AdStatus.stopped:
        found.append(and_(not_(_restricted()), not_(_running(now))))
    return found


# What each sort orders shown ads by; ads never shown follow, newest first. With a date
# range only shown ads can match, and "newest" means first shown most recently.
_SHOWN_ORDER: dict[AdSort, Any] = {
    AdSort.last_shown: PostDelivery.last_shown_at,
    AdSort.impressions: PostDelivery.impressions,
    AdSort.spend: PostDelivery.spent_micros,
}


def _dated(filters: AdFilters) -> bool:
    return filters.since is not None or (filters.until is not None and filters.until < date.max)


def _by_delivery(filters: AdFilters) -> Any:
    if filters.sort is AdSort.newest:
        return PostDelivery.first_shown_at if _dated(filters) else None
    return _SHOWN_ORDER[filters.sort]


def ads_query(after: int | None = None) -> Any:
    """Ads with their campaigns, accounts and deliveries; with ids above `after` if given."""
    delivered = PostDelivery.promoted_post_id == PromotedPost.id
    query = select(PromotedPost, Campaign, Account, PostDelivery)
    if after is not None:
        # said of both sides: a merge join would otherwise read the deliveries from the first
        query = query.where(PromotedPost.id > after)
        delivered = and_(delivered, PostDelivery.promoted_post_id > after)
    return (
        query.join(Campaign, Campaign.id == PromotedPost.campaign_id)
        .join(Account, Account.id == PromotedPost.account_id)
        .outerjoin(PostDelivery, delivered)
    )


def with_names(query: Any) -> Any:
    """`query` (from `ads_query`) with each ad's advertiser's name, for `public_ads`."""
    return query.add_columns(Advertiser.name).join(
        Advertiser, Advertiser.id == Campaign.advertiser_id
    )


# How far a walk down an index goes first, in rows per row of the page: walking is the
# quickest way to a page while at least one row in WALK_BUDGET matches. Past that, up to
# SORT_CAP matches are fetched through their filters' own indexes and sorted; more than that
# are walked to the end of the page, however far.
WALK_BUDGET = 200
SORT_CAP = 1_000


def _matching(session: Session, filters: AdFilters, now: datetime) -> Select[Any]:
    """The ids of matching ads, through only the tables the filters need: every joined row
    is an index lookup per candidate, and a broad search reads thousands of candidates."""
    query = (
        select(PromotedPost.id)
        .join(Campaign, Campaign.id == PromotedPost.campaign_id)
        .outerjoin(PostDelivery, PostDelivery.promoted_post_id == PromotedPost.id)
    )
    return query.where(*ad_conditions(session, filters, now))


def _rows(session: Session, ids: Sequence[int]) -> list[Any]:
    """The page's ads, in the order of `ids`, as `with_names(ads_query())` selects them."""
    if not ids:
        return []
    found = session.execute(with_names(ads_query()).where(among(session, PromotedPost.id, ids)))
    by_id = {row[0].id: row for row in found}
    return [by_id[ad_id] for ad_id in ids]


def search(session: Session, filters: AdFilters, *, offset: int, limit: int) -> Page:
    """One page of matching ads, as `PublicAd`s."""
    found = find(session, filters, offset=offset, limit=limit)
    return replace(found, items=ads_by_id(session, found.items))


def ads_by_id(session: Session, ids: Sequence[int]) -> list[PublicAd]:
    """These listed ads, in the order of `ids`."""
    return public_ads(session, _rows(session, ids), utcnow())


def find(session: Session, filters: AdFilters, *, offset: int, limit: int) -> Page:
    """One page of matching ads' ids, with their count capped past the page.

    Most searches match often among the newest ads. So, unless a name or dates narrow them,
    a first walk down the ids reads the newest WALK_BUDGET rows per row of the page, and
    walks on when they held a quarter of the count's cap: it counts the matches to the cap
    and, newest first, holds the page. When the newest hold fewer, the matches are fetched
    through their filters' own indexes: sorted, with their count, when the first walk
    promises no more than sorting may fetch; counted to the cap otherwise. A page in
    another order, or past a first walk's reach, is walked to (`_page`)."""
    plans = _Plans(session)
    try:
        return _find(plans, filters, offset, limit)
    finally:
        plans.indexes()


def _find(plans: _Plans, filters: AdFilters, offset: int, limit: int) -> Page:
    query = _matching(plans.session, filters, utcnow())
    if _dated(filters):
        return _find_dated(plans, filters, query, offset, limit)
    cap = count_cap(offset)
    budget = WALK_BUDGET * (offset + limit)
    metric = _by_delivery(filters)
    newest = _Order(query, (PromotedPost.id,))
    order = newest if metric is None else _Order(query, (metric, PostDelivery.promoted_post_id))
    near: _Stretch | None = None
    sortable = True
    if filters.advertiser:  # a name's few ads are found through its keys
        total = _counted(plans, query, cap)
    else:
        near = newest.stretch(plans, cap + 1, budget)
        if near.edge is not None and len(near.ids) <= cap < 4 * len(near.ids):
            near = _Stretch(newest.walk_on(plans, near, 0, cap + 1), None, budget)
        if near.edge is None or len(near.ids) > cap:  # counted to the cap, or all of them
            total = len(near.ids)
        elif offset + limit <= SORT_CAP and newest.expected(near) <= 2 * SORT_CAP:
            few = _sorted(plans, query, metric, offset, limit)
            if few is None:  # more than SORT_CAP
                total, sortable = cap + 1, False
            elif few.count is None:
                total = _counted(plans, query, cap)
            else:
                return Page(few.ids, min(few.count, cap + 1), offset, limit)
        else:
            total = _counted(plans, query, cap)
    if total == 0:
        return Page([], total, offset, limit)
    if order is not newest or near is None:
        near = order.stretch(plans, offset + limit, budget) if total > cap else None
    ids = _page(plans, order, near, total > cap, offset, limit, sortable=sortable)
    return Page(ids, total, offset, limit)


def _find_dated(
    plans: _Plans, filters: AdFilters, query: Select[Any], offset: int, limit: int
) -> Page:
    # ids follow time, so a date range's matches sit together: walk the showing dates from
    # the range's edge, where they are, not the ids from the newest
    edge = PostDelivery.last_shown_at if filters.since else PostDelivery.first_shown_at.desc()
    total = _counted(plans, query.order_by(edge), count_cap(offset))
    if total == 0:
        return Page([], total, offset, limit)
    metric = _by_delivery(filters)
    order = _Order(query, (metric, PostDelivery.promoted_post_id), unshown=False)
    if filters.sort is AdSort.newest:  # first showings, from the range's edge
        return Page(order.walk_on(plans, None, offset, limit), total, offset, limit)
    near = None
    if total > count_cap(offset):
        near = order.stretch(plans, offset + limit, WALK_BUDGET * (offset + limit))
    return Page(_page(plans, order, near, near is not None, offset, limit), total, offset, limit)


def _page(
    plans: _Plans,
    order: _Order,
    near: _Stretch | None,
    many: bool,
    offset: int,
    limit: int,
    *,
    sortable: bool = True,
) -> list[int]:
    """The page's ids: on from `near` (a first walk) when it held the page or, with `many`
    matches, promises to reach it soon; else sorted, when few enough match (unless known not
    `sortable`); else walked to the page."""
    if near is not None and (
        near.edge is None
        or len(near.ids) >= offset + limit
        or (many and order.walks_on(near, offset + limit))
    ):
        return order.walk_on(plans, near, offset, limit)
    few = _sorted(plans, order.query, order.metric, offset, limit) if sortable else None
    return order.walk_on(plans, near, offset, limit) if few is None else few.ids


@dataclass(frozen=True)
class _Few:
    """A page of matches sorted after all of them were fetched."""

    ids: list[int]
    count: int | None  # how many match; None: the page is empty and cannot tell


def _counted(plans: _Plans, query: Select[Any], cap: int) -> int:
    plans.indexes()
    return capped_count(plans.session, query, cap)


def _sorted(plans: _Plans, query: Select[Any], metric: Any, offset: int, limit: int) -> _Few | None:
    """The page's ids, if at most SORT_CAP ads match: fetched through the filters' own
    indexes and sorted; None if more match, or the page reaches past SORT_CAP."""
    if offset + limit > SORT_CAP:
        return None
    plans.indexes()
    columns = [PromotedPost.id.label("id")]
    if metric is not None:
        columns.append(metric.label("metric"))
    matched = query.with_only_columns(*columns).limit(SORT_CAP + 1).subquery()
    ordered = [matched.c.id.desc()]
    if metric is not None:
        ordered.insert(0, matched.c.metric.desc().nulls_last())
    page = plans.session.execute(
        select(matched.c.id, func.count().over()).order_by(*ordered).offset(offset).limit(limit)
    ).all()
    if not page:  # past the last match, or none: only an empty first page tells how many
        return _Few([], 0 if offset == 0 else None)
    if page[0][1] > SORT_CAP:
        return None
    return _Few([row[0] for row in page], page[0][1])


@dataclass(frozen=True)
class _Stretch:
    """The first matches down an order's index, within a budget of rows."""

    ids: list[int]
    # where a walk on starts: the first row past the budget, or below the last id when the
    # budget held them all. None: no row past `ids` is needed, because the index ended or
    # `find` already walked on to the count's cap
    edge: tuple[Any, ...] | None
    budget: int


@dataclass(frozen=True)
class _Order:
    """Matching ads down an index: the newest by id, or shown ads by a delivery figure and
    then (`unshown`) ads never shown, newest first."""

    query: Select[Any]
    key: tuple[Any, ...]
    unshown: bool = True

    @property
    def _shown_only(self) -> bool:
        return self.key[0] is not PromotedPost.id

    @property
    def _candidates(self) -> Select[Any]:
        if self._shown_only:
            return self.query.where(PostDelivery.promoted_post_id.is_not(None))
        return self.query

    def _down(self) -> list[Any]:
        return [column.desc() for column in self.key]

    def stretch(self, plans: _Plans, limit: int, budget: int) -> _Stretch:
        """Up to `limit` ids, first in this order, among its first `budget` rows."""
        past = select(*self.key).order_by(*self._down()).offset(budget).limit(1)
        if self._shown_only:
            edge = plans.session.execute(past).first()
            walked = self._candidates
            if edge is not None:
                walked = walked.where(tuple_(*self.key) > tuple_(*edge))
            ids = _walked(plans, walked.order_by(*self._down()).limit(limit))
            return _Stretch(ids, None if edge is None else tuple(edge), budget)
        # down the ids, one statement: the budget's edge is looked up in it
        within = PromotedPost.id > func.coalesce(past.scalar_subquery(), 0)
        ids = _walked(plans, self._candidates.where(within).order_by(*self._down()).limit(limit))
        if len(ids) == limit:  # within the budget: a walk on starts below the last
            return _Stretch(ids, (ids[-1] - 1,), budget)
        edge = plans.session.execute(past).first()
        return _Stretch(ids, None if edge is None else tuple(edge), budget)

    @property
    def metric(self) -> Any:
        return self.key[0] if self._shown_only else None

    def walks_on(self, near: _Stretch, needed: int) -> bool:
        """Whether walking on from `near` beats sorting: it held a quarter of the ids the
        page needs, so the rest is at most a few budgets further; or, down the ids, it
        promises more matches than sorting may fetch."""
        if 4 * len(near.ids) >= needed:
            return True
        return not self._shown_only and self.expected(near) > SORT_CAP

    def expected(self, near: _Stretch) -> float:
        """How many match in all, going by a first walk down the ids: its share of its
        budget times the rows below it. Nothing is deleted, so down the ids the edge's id
        counts about the rows below it. Only an estimate: matches thin or thicken with time."""
        if near.edge is None:
            return len(near.ids)
        return len(near.ids) * (1 + int(near.edge[0]) / near.budget)

    def walk_on(self, plans: _Plans, near: _Stretch | None, offset: int, limit: int) -> list[int]:
        """The page's ids, walking to the end of the order if need be: on from where `near`
        stopped (its ids the first in the order), or from the start."""
        before = near.ids if near else []
        ids = before[offset : offset + limit]
        walked = self._candidates
        if near is not None and near.edge is not None and len(ids) < limit:
            walked = walked.where(tuple_(*self.key) <= tuple_(*near.edge))
            more = walked.order_by(*self._down())
            ids += _walked(plans, more.offset(max(0, offset - len(before))).limit(limit - len(ids)))
        elif near is None:
            ids = _walked(plans, walked.order_by(*self._down()).offset(offset).limit(limit))
        if len(ids) == limit or not self._shown_only or not self.unshown:
            return ids
        if ids:
            shown_total = offset + len(ids)
        else:  # past the shown ones: how many there are decides where the others start
            counted = self._candidates.with_only_columns(func.count()).order_by(None)
            plans.indexes()
            shown_total = int(plans.session.scalar(counted) or 0)
        never_shown = self.query.where(PostDelivery.promoted_post_id.is_(None))
        return [
            *ids,
            *_walked(
                plans,
                never_shown.order_by(PromotedPost.id.desc())
                .offset(max(0, offset - shown_total))
                .limit(limit - len(ids)),
            ),
        ]


# A walk is planned as one: down its order's index, each row joined by index lookups. For a
# range of ids (a budget) or a word it cannot tell is common, PostgreSQL may expect few rows
# and read a bitmap of every match, or hash every campaign, and sort: that reads all of them
# where the walk stops at a page.
_WALK_PLAN = ("enable_bitmapscan", "enable_hashjoin", "enable_mergejoin")
_PLAN_WALKS, _PLAN_ANY = (
    "SELECT " + ", ".join(f"set_config('{name}', '{value}', true)" for name in _WALK_PLAN)
    for value in ("off", "on")
)


class _Plans:
    """Switches PostgreSQL's planner between walks and reads through the filters' own
    indexes, only when the next statement needs the other. The switch is a constant
    statement, sent straight to the driver: through the ORM it cost three times as much."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"
        self._walking = False

    def _switch(self, statement: str) -> None:
        driver = self.session.connection().connection.dbapi_connection
        assert driver is not None  # a session's connection while it is open
        cursor = driver.cursor()
        cursor.execute(statement)
        cursor.close()

    def walks(self) -> None:
        if self._postgres and not self._walking:
            self._switch(_PLAN_WALKS)
            self._walking = True

    def indexes(self) -> None:
        if self._walking:
            self._switch(_PLAN_ANY)
            self._walking = False


def _walked(plans: _Plans, walk: Select[Any]) -> list[int]:
    """The ids `walk` reads down its order's index, to the end of its page."""
    plans.walks()
    return list(plans.session.scalars(walk))


def ad_by_id(session: Session, ad_id: int) -> PublicAd | None:
    rows = session.execute(
        with_names(ads_query()).where(
            PromotedPost.id == ad_id, ad_conditions(session, AdFilters(), utcnow())[0]
        )
    ).all()
    found = public_ads(session, rows, utcnow())
    return found[0] if found else None


@dataclass(frozen=True)
class AdDecision:
    id: int
    clause: str
    clause_title: str
    outcome: str
    level: str
    status: str
    withholds: bool  # active, and its clause withholds the ad's content

    @property
    def path(self) -> str:
        return f"/decisions/{self.id}"


@dataclass(frozen=True)
class PublicAd:
    post: PromotedPost
    campaign: Campaign
    account: Account
    advertiser_name: str
    delivery: PostDelivery | None
    status: AdStatus
    decisions: list[AdDecision]

    @property
    def path(self) -> str:
        return f"/ads/{self.post.id}"

    @property
    def withheld_by(self) -> AdDecision | None:
        return next((d for d in self.decisions if d.withholds), None)

    @property
    def impressions(self) -> dict[str, int | None]:
        return bucket(self.delivery.impressions if self.delivery else 0, IMPRESSION_BOUNDS)

    @property
    def spend(self) -> dict[str, int | None]:
        micros = self.delivery.spent_micros if self.delivery else 0
        return bucket(micros // (MICROS_PER_CENT * 100), SPEND_BOUNDS)

    @property
    def retained_until(self) -> datetime | None:
        """At least until then; in fact nothing listed here is ever removed."""
        return self.delivery.last_shown_at + RETENTION if self.delivery else None

    def as_json(self) -> dict[str, Any]:
        withheld = self.withheld_by
        campaign = self.campaign
        base = settings.public_url()
        return {
            "id": self.post.id,
            "url": base + self.path,
            "status": self.status.value,
            # Article 39(3): a removed ad keeps neither its content nor who it was for or who
            # paid; the decision linked below says why it was removed
            "advertiser": None
            if withheld
            else {"id": campaign.advertiser_id, "name": self.advertiser_name},
            "paid_by": None if withheld else campaign.payer or self.advertiser_name,
            "account": None
            if withheld
            else {"handle": self.account.handle, "name": self.account.display_name},
            "content": None
            if withheld
            else {"text": self.post.text, "landing_url": self.post.landing_url},
            "withheld": None
            if withheld is None
            else {
                "reason": f"withheld under clause {withheld.clause} ({withheld.clause_title})",
                "decision_id": withheld.id,
                "statement_url": base + withheld.path,
            },
            "first_shown": stamp(self.delivery.first_shown_at) if self.delivery else None,
            "last_shown": stamp(self.delivery.last_shown_at) if self.delivery else None,
            "impressions": self.impressions,
            "spend": {"currency": campaign.currency, **self.spend},
            "targeting": {
                "keywords": campaign.keywords,
                "countries": campaign.countries or ["everywhere"],
                "starts_at": stamp(campaign.starts_at),
                "ends_at": stamp(campaign.ends_at),
            },
            "decisions": [
                {
                    "id": d.id,
                    "url": base + d.path,
                    "clause": d.clause,
                    "outcome": d.outcome,
                    "level": d.level,
                    "status": d.status,
                }
                for d in self.decisions
            ],
            "retained_until": stamp(self.retained_until),
        }


_DECISION_COLUMNS = (
    Decision.id,
    Decision.level,
    Decision.subject_id,
    Decision.clause_id,
    Decision.outcome,
    Decision.status,
    Decision.policy_version_id,
)


def _decisions_on(
    session: Session, rows: Sequence[Any]
) -> dict[tuple[SubjectLevel, int], list[Any]]:
    """What an ad lists of each decision on it, its campaign, account or advertiser: only the
    columns it shows (a decision's facts and evidence are its own page's)."""
    subjects = {
        SubjectLevel.post: {row[0].id for row in rows},
        SubjectLevel.campaign: {row[1].id for row in rows},
        SubjectLevel.account: {row[2].id for row in rows},
        SubjectLevel.advertiser: {row[1].advertiser_id for row in rows},
    }
    found: dict[tuple[SubjectLevel, int], list[Any]] = {}
    query = select(*_DECISION_COLUMNS).where(
        or_(
            *(
                and_(Decision.level == lvl, among(session, Decision.subject_id, ids))
                for lvl, ids in subjects.items()
            )
        )
    )
    for decision in session.execute(query.order_by(Decision.starts_at, Decision.id)):
        found.setdefault((decision.level, decision.subject_id), []).append(decision)
    return found


def public_ads(session: Session, rows: Sequence[Any], now: datetime) -> list[PublicAd]:
    """`rows`: (post, campaign, account, delivery, advertiser name), as `with_names` selects."""
    if not rows:
        return []
    decisions = _decisions_on(session, rows)
    versions = versions_by_id(
        session, {d.policy_version_id for found in decisions.values() for d in found}
    )
    ads = []
    for post, campaign, account, delivery, advertiser_name in rows:
        touching = [
            *decisions.get((SubjectLevel.advertiser, campaign.advertiser_id), []),
            *decisions.get((SubjectLevel.account, account.id), []),
            *decisions.get((SubjectLevel.campaign, campaign.id), []),
            *decisions.get((SubjectLevel.post, post.id), []),
        ]
        listed = []
        for decision in touching:
            clause = versions[decision.policy_version_id].clauses[decision.clause_id]
            active = decision.status is DecisionStatus.active
            listed.append(
                AdDecision(
                    id=decision.id,
                    clause=clause.id,
                    clause_title=clause.title,
                    outcome=decision.outcome.value,
                    level=decision.level.value,
                    status=decision.status.value,
                    withholds=active and clause.withholds_ad_content,
                )
            )
        ads.append(
            PublicAd(
                post=post,
                campaign=campaign,
                account=account,
                advertiser_name=advertiser_name,
                delivery=delivery,
                status=_status_of(post, campaign, account, now),
                decisions=listed,
            )
        )
    return ads


def _status_of(post: PromotedPost, campaign: Campaign, account: Account, now: datetime) -> AdStatus:
    if post.status is PromotedPostStatus.rejected or campaign.held or not account.ads_eligible:
        return AdStatus.restricted
    started = campaign.starts_at is None or campaign.starts_at <= now
    ongoing = campaign.ends_at is None or campaign.ends_at > now
    if (
        campaign.status is CampaignStatus.active
        and post.status is PromotedPostStatus.active
        and started
        and ongoing
    ):
        return AdStatus.running
    return AdStatus.stopped
