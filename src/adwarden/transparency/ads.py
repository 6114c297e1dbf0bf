"""The public ads repository (DSA Article 39): every promoted post that ran or was set to run,
who is behind it and who paid, when it was shown, roughly how much, to whom, and every
decision that restricted it.

Nothing is ever removed: an ad stays listed for as long as the database holds it, which is
longer than the year after its last showing that Article 39 asks for. An ad restricted by a
decision stays listed; its content is withheld when the decision's clause says so, and the
statement of reasons is linked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    cast,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session, aliased

from adwarden import settings
from adwarden.domain.enums import CampaignStatus, DecisionStatus, PromotedPostStatus, SubjectLevel
from adwarden.enforcement.models import Decision
from adwarden.registry.models import Account, Advertiser
from adwarden.serving.models import Campaign, PostDelivery, PromotedPost
from adwarden.serving.money import MICROS_PER_CENT
from adwarden.store.base import UTCDateTime, utcnow
from adwarden.store.compiled import Build, Slots, Statements
from adwarden.store.queries import among
from adwarden.transparency import word_shares
from adwarden.transparency.decisions import (
    Page,
    count_cap,
    day_start,
    versions_by_id,
)
from adwarden.transparency.names import name_values, named
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


# PostgreSQL only, and not a model column (store.migrate.POSTGRES_ONLY_COLUMNS): whether an
# ad is restricted, kept by triggers as `_status_of` says it, with an index of the restricted
# ads down the ids (migration 0015)
_RESTRICTED_FLAG: ColumnElement[bool] = literal_column("promoted_posts.restricted", Boolean())


def _restricted(postgres: bool, *, looked_up: bool = False) -> ColumnElement[bool]:
    if postgres:
        return _RESTRICTED_FLAG
    # the few barred accounts are looked up (once, through their own index), not joined: a
    # walk then tests each ad it reads against them without a join per ad. `looked_up`:
    # held campaigns too, so that a walk joins an ad's campaign only once the ad matched
    barred = select(Account.id).where(not_(Account.ads_eligible)).correlate(None)
    held = select(Campaign.id).where(Campaign.held).correlate(None)
    return or_(
        PromotedPost.status == PromotedPostStatus.rejected,
        PromotedPost.campaign_id.in_(held) if looked_up else Campaign.held,
        PromotedPost.account_id.in_(barred),
    )


def _running(postgres: bool, now: Moment) -> ColumnElement[bool]:
    return and_(
        not_(_restricted(postgres)),
        Campaign.status == CampaignStatus.active,
        PromotedPost.status == PromotedPostStatus.active,
        or_(Campaign.starts_at.is_(None), Campaign.starts_at <= now),
        or_(Campaign.ends_at.is_(None), Campaign.ends_at > now),
    )


# PostgreSQL only, and not model columns (store.migrate.POSTGRES_ONLY_COLUMNS): an ad's text
# search vector, and its copy beside a shown ad's delivery figures, in the indexes that sort
# them (migration 0014)
_TEXT_VECTOR: ColumnElement[Any] = literal_column("promoted_posts.text_search")
_DELIVERED_TEXT_VECTOR: ColumnElement[Any] = literal_column("post_delivery.text_search")
_SIMPLE: ColumnElement[str] = literal_column("'simple'::regconfig")


def _words(typed: str) -> list[str]:
    return re.findall(r"\w+", typed.lower())


def _text_values(words: list[str]) -> dict[str, Any]:
    # on PostgreSQL the stored to_tsvector('simple', text) and its GIN index (migration
    # 0010); the last word may be one being typed, so it is a prefix; whole words before it
    # let the index skip through a common word's entries instead of reading them all
    values: dict[str, Any] = {
        "words": " & ".join([*words[:-1], f"{words[-1]}:*"]),
        "whole_words": " & ".join(words),  # `_counted`
    }
    for n, word in enumerate(words):  # elsewhere each word inside the text, as typed
        escaped = word.casefold().replace("/", "//").replace("%", "/%").replace("_", "/_")
        values[f"word_{n}"] = escaped
    return values


def _text_condition(
    postgres: bool, words: int, slot: Slots, *, delivered: bool, whole: bool
) -> ColumnElement[bool]:
    if postgres:
        vector = _DELIVERED_TEXT_VECTOR if delivered else _TEXT_VECTOR
        query = slot("whole_words" if whole else "words", Text())
        return vector.op("@@")(func.to_tsquery(_SIMPLE, query))
    folded = func.casefold(PromotedPost.text)  # registered on every SQLite connection
    return and_(*(folded.contains(slot(f"word_{n}", Text()), escape="/") for n in range(words)))


def _country_condition(postgres: bool, slot: Slots) -> ColumnElement[bool]:
    if postgres:
        targeted = cast(Campaign.countries, JSONB)
        return or_(
            targeted == cast(literal("[]"), JSONB),
            targeted.op("@>")(slot("countries", JSONB())),
        )
    each = func.json_each(Campaign.countries).table_valued("value")
    return or_(
        func.json_array_length(Campaign.countries) == 0,
        exists(select(1).select_from(each).where(each.c.value == slot("country", Text()))),
    )


def listed() -> ColumnElement[bool]:
    """Whether an ad is listed: a draft's ad is, once it was shown or a decision was made on
    it; until then it is the advertiser's unpublished work."""
    # scalar lookups, not EXISTS: PostgreSQL would hash every post decision to test it.
    # Looked up for drafts only: a search that needs no delivery figure then joins no
    # delivery row (PostgreSQL drops an outer join nothing reads), a lookup per match.
    decided = (
        select(Decision.id)
        .where(Decision.level == SubjectLevel.post, Decision.subject_id == PromotedPost.id)
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )
    delivery = aliased(PostDelivery, name="delivered")
    shown = (
        select(delivery.promoted_post_id)
        .where(delivery.promoted_post_id == PromotedPost.id)
        .scalar_subquery()
        .is_not(None)
    )
    return or_(
        Campaign.status != CampaignStatus.draft,
        and_(Campaign.status == CampaignStatus.draft, or_(shown, decided)),
    )


# What each sort orders shown ads by; ads never shown follow, newest first. With a date
# range only shown ads can match, and "newest" means first shown most recently.
_SHOWN_ORDER: dict[str, Any] = {
    AdSort.last_shown: PostDelivery.last_shown_at,
    AdSort.impressions: PostDelivery.impressions,
    AdSort.spend: PostDelivery.spent_micros,
    "first_shown": PostDelivery.first_shown_at,
}
_NEWEST = "newest"  # down the ids
# statuses told by an ad's campaign (restricted is the ad's own: `_restricted`)
_BY_CAMPAIGN = (AdStatus.running, AdStatus.stopped)


def _dated(filters: AdFilters) -> bool:
    return filters.since is not None or (filters.until is not None and filters.until < date.max)


def _by_delivery(filters: AdFilters) -> str:
    """The order a search's page follows: down the ids, or by a delivery figure."""
    if filters.sort is AdSort.newest:
        return "first_shown" if _dated(filters) else _NEWEST
    return filters.sort.value


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
# are walked to the end of the page, however far. Sorting is tried only when a first walk
# promises at most SORT_CAP matches: a sort that finds more has read them all for nothing.
WALK_BUDGET = 200
SORT_CAP = 1_000
# past this many ads holding a search's words by the statistics (`word_shares`), more than
# SORT_CAP of them would be fetched: no sort is tried. Between SORT_CAP and this, the
# statistics are taken as too rough to tell, and a first walk decides.
_SORT_PROMISE = 1.25 * SORT_CAP

# every search's statements, by shape (`_Search`)
_STATEMENTS = Statements()
_WORD_SHARES = word_shares.Cache()
_WHEN = UTCDateTime()


class _Search:
    """One search: the shape of its filters, which picks its statements, and their values.
    Switches PostgreSQL's planner between walks and reads through the filters' own indexes,
    only when the next statement needs the other."""

    def __init__(self, session: Session, filters: AdFilters, now: datetime) -> None:
        self.session = session
        self.filters = filters
        self._postgres = session.get_bind().dialect.name == "postgresql"
        self._walking = False
        values: dict[str, Any] = {"now": now}
        names = words = 0
        if filters.advertiser:
            names, named_values = name_values(filters.advertiser)
            values |= named_values
        found = _words(filters.text or "")
        if found:
            values |= _text_values(found)
            words = len(found)
        if filters.country:
            code = filters.country.upper()
            values |= {"country": code, "countries": json.dumps([code])}
        if filters.since:
            values["since"] = day_start(filters.since)
        if filters.until and filters.until < date.max:  # inclusive: the whole day
            values["until"] = day_start(filters.until + timedelta(days=1))
        self.values = values
        # words whose last is a prefix in the text index (`_counted`)
        self.prefixed = self._postgres and words > 0
        # how many ads hold the words, and what share of all, by PostgreSQL's statistics:
        # None when unknown
        self.estimate: float | None = None
        self.share: float | None = None
        if self.prefixed and not filters.advertiser:
            shares = _WORD_SHARES.shares(session)
            self.estimate = shares.expected(found) if shares else None
            if shares and self.estimate is not None:
                self.share = self.estimate / shares.ads
        # what has its own index down the ids, which a walk's budget then counts in: on
        # PostgreSQL the restricted ads (a small share of all, thinning with time)
        restricted = self._postgres and filters.status is AdStatus.restricted
        self.indexed: list[ColumnElement[bool]] = [_RESTRICTED_FLAG] if restricted else []
        # a lazy sort found more than SORT_CAP candidates: a sort is then of the matches
        self.candidates_past_cap = False
        self.shape = (
            names if filters.advertiser else None,
            words if filters.text else None,
            bool(filters.country),
            "since" in values,
            "until" in values,
            filters.status,
        )

    @property
    def sorted_lazily(self) -> bool:
        """Whether a sort fetches its candidates by the ads' own conditions (`candidates`) and
        tests their campaigns (`by_campaign`) only down the sorted candidates, as far as its page
        and count need: on PostgreSQL, when a campaign's only test is whether its ad is listed,
        which most pass. A sort of a thousand matches then looks up a hundred campaigns."""
        filters = self.filters
        selective = filters.advertiser or filters.country or filters.status in _BY_CAMPAIGN
        return self._postgres and not selective and not self.candidates_past_cap

    def _own(self, slot: Slots, *, delivered: bool, whole: bool) -> list[ColumnElement[bool]]:
        """The conditions on an ad and its delivery row alone."""
        filters, shape = self.filters, self.shape
        found: list[ColumnElement[bool]] = []
        if filters.advertiser or filters.text:
            # a removed ad withholds its content and whose it is: neither may find it either
            found.append(PromotedPost.status != PromotedPostStatus.rejected)
        if shape[1]:
            text = _text_condition(self._postgres, shape[1], slot, delivered=delivered, whole=whole)
            found.append(text)
        if "since" in self.values:
            found.append(PostDelivery.last_shown_at >= slot("since", _WHEN))
        if "until" in self.values:
            found.append(PostDelivery.first_shown_at < slot("until", _WHEN))
        if filters.status is AdStatus.restricted:
            found.append(_restricted(self._postgres, looked_up=True))
        if delivered:
            found.append(PostDelivery.promoted_post_id.is_not(None))
        return found

    def by_campaign(self, slot: Slots) -> list[ColumnElement[bool]]:
        """The conditions that look an ad's campaign up."""
        filters, postgres = self.filters, self._postgres
        found: list[ColumnElement[bool]] = [listed()]
        if self.shape[0] is not None:
            found += named(Campaign.advertiser_id, self.shape[0], slot)
        if filters.country:
            found.append(_country_condition(postgres, slot))
        if filters.status is AdStatus.running:
            found.append(_running(postgres, slot("now", _WHEN)))
        elif filters.status is AdStatus.stopped:
            running = _running(postgres, slot("now", _WHEN))
            found.append(and_(not_(_restricted(postgres)), not_(running)))
        return found

    def matching(self, slot: Slots, *, delivered: bool = False, whole: bool = False) -> Select[Any]:
        """The ids of matching ads, through only the tables the filters need: every joined
        row is an index lookup per candidate, and a broad search reads thousands of them.
        `delivered`: shown ads only, their words tested on the copy their delivery row holds
        (a walk down a delivery figure's index then tests them without looking the ad up).
        `whole`: on PostgreSQL, the last word whole, not a prefix (fewer matches)."""
        return (
            select(PromotedPost.id)
            .join(Campaign, Campaign.id == PromotedPost.campaign_id)
            .outerjoin(PostDelivery, PostDelivery.promoted_post_id == PromotedPost.id)
            .where(*self.by_campaign(slot), *self._own(slot, delivered=delivered, whole=whole))
        )

    def candidates(self, slot: Slots, metric: str | None) -> Select[Any]:
        """The ids (and the `metric` they sort by) of the ads that pass their own conditions:
        every match, and ads that their campaigns' conditions may still turn away."""
        columns: list[Any] = [PromotedPost.id.label("id")]
        if metric is not None:
            columns.append(_SHOWN_ORDER[metric].label("metric"))
        return (
            select(*columns)
            .select_from(PromotedPost)
            .outerjoin(PostDelivery, PostDelivery.promoted_post_id == PromotedPost.id)
            .where(*self._own(slot, delivered=False, whole=False))
        )

    def rows(
        self, step: tuple[Any, ...], build: Build, *, walk: bool | None, **values: Any
    ) -> Sequence[tuple[Any, ...]]:
        """The rows of this search's statement for `step`, planned as a walk, or through the
        filters' indexes (or either: None), with the search's values and `values`."""
        if walk is not None:
            self._plan_walks() if walk else self.plan_any()
        return _STATEMENTS.rows(
            self.session, (*self.shape, *step), build, {**self.values, **values}
        )

    def ids(self, step: tuple[Any, ...], build: Build, **values: Any) -> list[int]:
        """The ids a walk (`build`) reads down its order's index, to the end of its page."""
        return [row[0] for row in self.rows(step, build, walk=True, **values)]

    def _switch(self, statement: str) -> None:
        # a constant statement, sent straight to the driver: through the ORM it cost three
        # times as much
        driver = self.session.connection().connection.dbapi_connection
        assert driver is not None  # a session's connection while it is open
        cursor = driver.cursor()
        cursor.execute(statement)
        cursor.close()

    def _plan_walks(self) -> None:
        if self._postgres and not self._walking:
            self._switch(_PLAN_WALKS)
            self._walking = True

    def plan_any(self) -> None:
        if self._walking:
            self._switch(_PLAN_ANY)
            self._walking = False


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

    Words that PostgreSQL's statistics say few ads hold are sorted at once. Else most
    searches match often among the newest ads, or the top of the order they ask for. So,
    unless a name or dates narrow them, a first walk down the order's index (spend, say)
    reads its top WALK_BUDGET rows per row of the page: when they hold more than the count's
    cap, that is the count and the page. Then (or at once, for the newest) a first walk down
    the ids reads as far, and walks on when it held a quarter of the count's cap: it counts
    the matches to the cap and, newest first, holds the page. When the newest hold fewer,
    the matches are fetched through their filters' own indexes: sorted, with their count,
    when the first walk promises no more than sorting may fetch; counted to the cap
    otherwise. A page in another order, or past a first walk's reach, is walked to
    (`_page`)."""
    found = _Search(session, filters, utcnow())
    try:
        return _find(found, offset, limit)
    finally:
        found.plan_any()


def _find(search: _Search, offset: int, limit: int) -> Page:
    filters = search.filters
    if _dated(filters):
        return _find_dated(search, offset, limit)
    cap = count_cap(offset)
    budget = WALK_BUDGET * (offset + limit)
    newest = _Order(search, _NEWEST)
    order = _Order(search, _by_delivery(filters))
    near: _Stretch | None = None
    ahead: _Stretch | None = None  # the first walk down a delivery figure's index
    sortable = offset + limit <= SORT_CAP
    # the words' statistics promise more than a sort may fetch: none is tried unless a count
    # proves the matches few
    promised_many = (search.estimate or 0) > _SORT_PROMISE
    if filters.advertiser:  # a name's few ads are found through its keys
        total = _counted(search, None, cap)
    else:
        if sortable and search.estimate is not None and search.estimate <= SORT_CAP:
            # the words promise few: sorted at once, not walked for first
            lazily = search.sorted_lazily
            found = _sorted_page(search, order.metric, offset, limit)
            if found is not None:
                return found
            # more than SORT_CAP match; or are candidates, of which fewer may match
            sortable = lazily
        if order.name != _NEWEST and (search.share is None or search.share * budget > 2 * cap):
            # down the order's own index first, unless the words are too thin for its budget:
            # when the budget holds past the count's cap, that walk alone counts and holds
            # the page, and the ids need no walk
            ahead = order.stretch(cap + 1, budget)
            if len(ahead.ids) > cap:
                return Page(ahead.ids[offset : offset + limit], len(ahead.ids), offset, limit)
        near = newest.stretch(cap + 1, budget)
        if near.edge is not None and len(near.ids) <= cap < 4 * len(near.ids):
            near = _Stretch(newest.walk_on(near, 0, cap + 1), None, budget)
        if near.edge is None or len(near.ids) > cap:  # counted to the cap, or all of them
            total = len(near.ids)
        elif sortable and not promised_many and newest.expected(near) <= SORT_CAP:
            lazily = search.sorted_lazily
            found = _sorted_page(search, order.metric, offset, limit)
            if found is not None:
                return found
            # more than SORT_CAP match: past the cap; or are candidates, of which fewer may
            # match: counted
            sortable = lazily
            total = _counted(search, None, cap) if lazily else cap + 1
        else:
            total = _counted(search, None, cap)
    if total == 0:
        return Page([], total, offset, limit)
    if order.name != _NEWEST or near is None:
        near = (ahead or order.stretch(offset + limit, budget)) if total > cap else None
    sortable = sortable and (not promised_many or total <= cap)
    ids = _page(order, near, total > cap, offset, limit, sortable=sortable)
    return Page(ids, total, offset, limit)


def _find_dated(search: _Search, offset: int, limit: int) -> Page:
    # ids follow time, so a date range's matches sit together: walk the showing dates from
    # the range's edge, where they are, not the ids from the newest
    total = _counted(search, "since" if search.filters.since else "until", count_cap(offset))
    if total == 0:
        return Page([], total, offset, limit)
    order = _Order(search, _by_delivery(search.filters), unshown=False)
    if search.filters.sort is AdSort.newest:  # first showings, from the range's edge
        return Page(order.walk_on(None, offset, limit), total, offset, limit)
    near = None
    if total > count_cap(offset):
        near = order.stretch(offset + limit, WALK_BUDGET * (offset + limit))
    return Page(_page(order, near, near is not None, offset, limit), total, offset, limit)


def _page(
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
        return order.walk_on(near, offset, limit)
    few = _sorted(order.search, order.metric, offset, limit) if sortable else None
    return order.walk_on(near, offset, limit) if few is None else few.ids


def _sorted_page(search: _Search, metric: str | None, offset: int, limit: int) -> Page | None:
    """The page sorted (`_sorted`), with its count capped past the page; None if more than
    SORT_CAP were fetched."""
    few = _sorted(search, metric, offset, limit)
    if few is None:
        return None
    cap = count_cap(offset)
    total = _counted(search, None, cap) if few.count is None else few.count
    return Page(few.ids, min(total, cap + 1), offset, limit)


@dataclass(frozen=True)
class _Few:
    """A page of matches sorted after all of them were fetched."""

    ids: list[int]
    count: int | None  # how many match; None: the page is empty and cannot tell


# the ends of a date range, where its counts start
_RANGE_EDGES = {
    "since": PostDelivery.last_shown_at,
    "until": PostDelivery.first_shown_at.desc(),
}


def _counted(search: _Search, edge: str | None, cap: int) -> int:
    """How many match, counted to `cap` + 1 (from a date range's `edge`, if given).

    On PostgreSQL, words are counted whole first: a prefix is read in full from the text
    index before the first match comes out (~10 ms for a common word after another), and
    when the whole words alone pass the cap, so do the words with a prefix."""

    def build(whole: bool) -> Build:
        def counted(slot: Slots) -> Select[Any]:
            query = search.matching(slot, whole=whole)
            if edge is not None:
                query = query.order_by(_RANGE_EDGES[edge])
            limited = query.limit(slot("cap", Integer())).subquery()
            return select(func.count()).select_from(limited)

        return counted

    for whole in (True, False) if search.prefixed else (False,):
        found = int(
            search.rows(("count", edge, whole), build(whole), walk=False, cap=cap + 1)[0][0]
        )
        if found > cap:
            break
    return found


def _sorted(search: _Search, metric: str | None, offset: int, limit: int) -> _Few | None:
    """The page's ids, if at most SORT_CAP ads match: fetched through the filters' own
    indexes and sorted; None if more match, or the page reaches past SORT_CAP."""
    if offset + limit > SORT_CAP:
        return None
    if search.sorted_lazily:
        return _sorted_lazily(search, metric, offset, limit)

    def build(slot: Slots) -> Select[Any]:
        columns = [PromotedPost.id.label("id")]
        if metric is not None:
            columns.append(_SHOWN_ORDER[metric].label("metric"))
        matched = search.matching(slot).with_only_columns(*columns).limit(SORT_CAP + 1)
        sub = matched.subquery()
        return (
            select(sub.c.id, func.count().over())
            .order_by(*_sort_keys(sub.c, metric))
            .offset(slot("offset", Integer()))
            .limit(slot("limit", Integer()))
        )

    page = search.rows(("sorted", metric), build, walk=False, offset=offset, limit=limit)
    if not page:  # past the last match, or none: only an empty first page tells how many
        return _Few([], 0 if offset == 0 else None)
    if page[0][1] > SORT_CAP:
        return None
    return _Few([row[0] for row in page], page[0][1])


def _sort_keys(columns: Any, metric: str | None) -> list[Any]:
    """A sort's order over `columns` (an id, and a `metric` if given): by the delivery figure,
    never shown last, then newest first."""
    keys = [columns.id.desc()]
    if metric is not None:
        keys.insert(0, columns.metric.desc().nulls_last())
    return keys


def _sorted_lazily(search: _Search, metric: str | None, offset: int, limit: int) -> _Few | None:
    """`_sorted`, when the campaigns' conditions are only looked up down the sorted
    candidates (`_Search.sorted_lazily`): to the page, or to past the count's cap. None if
    more than SORT_CAP are candidates."""

    def build(slot: Slots) -> Select[Any]:
        found = search.candidates(slot, metric).limit(SORT_CAP + 1).cte("candidates")
        # the limit keeps the campaigns' conditions out of the sort: the page's statement then
        # tests them row by row down the sorted candidates, and stops at its own limit
        ordered = (
            select(found)
            .order_by(*_sort_keys(found.c, metric))
            .limit(SORT_CAP + 1)
            .subquery("ordered")
        )
        page = (
            select(ordered.c.id)
            .join(PromotedPost, PromotedPost.id == ordered.c.id)
            .join(Campaign, Campaign.id == PromotedPost.campaign_id)
            .where(*search.by_campaign(slot))
            .order_by(*_sort_keys(ordered.c, metric))
            .limit(slot("wanted", Integer()))
        )
        counted = select(func.count()).select_from(found).scalar_subquery()
        return select(counted, func.array(page.scalar_subquery(), type_=ARRAY(Integer())))

    wanted = max(offset + limit, count_cap(offset) + 1)
    ((candidates, ids),) = search.rows(("lazily", metric), build, walk=False, wanted=wanted)
    if candidates > SORT_CAP:
        search.candidates_past_cap = True
        return None
    return _Few(ids[offset : offset + limit], len(ids))


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
    """Matching ads down an index: the newest by id, or shown ads by a delivery figure
    (`name`) and then (`unshown`) ads never shown, newest first."""

    search: _Search
    name: str
    unshown: bool = True

    @property
    def key(self) -> tuple[Any, ...]:
        if self.name == _NEWEST:
            return (PromotedPost.id,)
        return (_SHOWN_ORDER[self.name], PostDelivery.promoted_post_id)

    @property
    def _shown_only(self) -> bool:
        return self.name != _NEWEST

    @property
    def metric(self) -> str | None:
        return self.name if self._shown_only else None

    def _candidates(self, slot: Slots) -> Select[Any]:
        return self.search.matching(slot, delivered=self._shown_only)

    def _down(self) -> list[Any]:
        return [column.desc() for column in self.key]

    def _edge(self, slot: Slots) -> Any:
        return tuple_(*(slot(f"edge_{n}", column.type) for n, column in enumerate(self.key)))

    def _edge_values(self, edge: tuple[Any, ...]) -> dict[str, Any]:
        return {f"edge_{n}": value for n, value in enumerate(edge)}

    def _past(self, slot: Slots) -> Select[Any]:
        """The first row of the order past a budget of rows: down the ids, of the rows the
        search's own index holds when it has one (`_Search.indexed`)."""
        past = select(*self.key).where(*([] if self._shown_only else self.search.indexed))
        return past.order_by(*self._down()).offset(slot("budget", Integer())).limit(1)

    def _past_edge(self, budget: int) -> tuple[Any, ...] | None:
        rows = self.search.rows((self.name, "past"), self._past, walk=None, budget=budget)
        return tuple(rows[0]) if rows else None

    def stretch(self, limit: int, budget: int) -> _Stretch:
        """Up to `limit` ids, first in this order, among its first `budget` rows."""
        if self._shown_only:
            edge = self._past_edge(budget)
            if edge is None:
                return _Stretch(self._from_top(0, limit), None, budget)

            def after(slot: Slots) -> Select[Any]:
                walked = self._candidates(slot).where(tuple_(*self.key) > self._edge(slot))
                return walked.order_by(*self._down()).limit(slot("limit", Integer()))

            ids = self.search.ids(
                (self.name, "after"), after, limit=limit, **self._edge_values(edge)
            )
            return _Stretch(ids, edge, budget)

        # down the ids, one statement: the budget's edge is looked up in it
        def within(slot: Slots) -> Select[Any]:
            past = self._past(slot).scalar_subquery()
            walked = self._candidates(slot).where(PromotedPost.id > func.coalesce(past, 0))
            return walked.order_by(*self._down()).limit(slot("limit", Integer()))

        ids = self.search.ids((self.name, "within"), within, budget=budget, limit=limit)
        if len(ids) == limit:  # within the budget: a walk on starts below the last
            return _Stretch(ids, (ids[-1] - 1,), budget)
        return _Stretch(ids, self._past_edge(budget), budget)

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
        counts about the rows below it (more than that, when the budget counted only the rows
        of the search's own index). Only an estimate: matches thin or thicken with time."""
        if near.edge is None:
            return len(near.ids)
        return len(near.ids) * (1 + int(near.edge[0]) / near.budget)

    def _paged(self, query: Select[Any], slot: Slots) -> Select[Any]:
        down = query.order_by(*self._down())
        return down.offset(slot("offset", Integer())).limit(slot("limit", Integer()))

    def _from_top(self, offset: int, limit: int) -> list[int]:
        def walk(slot: Slots) -> Select[Any]:
            return self._paged(self._candidates(slot), slot)

        return self.search.ids((self.name, "top"), walk, offset=offset, limit=limit)

    def walk_on(self, near: _Stretch | None, offset: int, limit: int) -> list[int]:
        """The page's ids, walking to the end of the order if need be: on from where `near`
        stopped (its ids the first in the order), or from the start."""
        before = near.ids if near else []
        ids = before[offset : offset + limit]
        if near is not None and near.edge is not None and len(ids) < limit:

            def on(slot: Slots) -> Select[Any]:
                walked = self._candidates(slot).where(tuple_(*self.key) <= self._edge(slot))
                return self._paged(walked, slot)

            ids += self.search.ids(
                (self.name, "on"),
                on,
                offset=max(0, offset - len(before)),
                limit=limit - len(ids),
                **self._edge_values(near.edge),
            )
        elif near is None:
            ids = self._from_top(offset, limit)
        if len(ids) == limit or not self._shown_only or not self.unshown:
            return ids
        if ids:
            shown_total = offset + len(ids)
        else:  # past the shown ones: how many there are decides where the others start

            def counted(slot: Slots) -> Select[Any]:
                # through the filters' own indexes: the ad's words, not their copy
                shown = self.search.matching(slot).where(PostDelivery.promoted_post_id.is_not(None))
                return shown.with_only_columns(func.count()).order_by(None)

            shown_total = int(self.search.rows((self.name, "shown"), counted, walk=False)[0][0])

        def never_shown(slot: Slots) -> Select[Any]:
            query = self.search.matching(slot).where(PostDelivery.promoted_post_id.is_(None))
            down = query.order_by(PromotedPost.id.desc())
            return down.offset(slot("offset", Integer())).limit(slot("limit", Integer()))

        more = self.search.ids(
            ("never_shown",),
            never_shown,
            offset=max(0, offset - shown_total),
            limit=limit - len(ids),
        )
        return [*ids, *more]


# A walk is planned as one: down its order's index, each row joined by index lookups. For a
# range of ids (a budget) or a word it cannot tell is common, PostgreSQL may expect few rows
# and read a bitmap of every match, or hash every campaign, and sort: that reads all of them
# where the walk stops at a page.
_WALK_PLAN = ("enable_bitmapscan", "enable_hashjoin", "enable_mergejoin")
_PLAN_WALKS, _PLAN_ANY = (
    "SELECT " + ", ".join(f"set_config('{name}', '{value}', true)" for name in _WALK_PLAN)
    for value in ("off", "on")
)


def ad_by_id(session: Session, ad_id: int) -> PublicAd | None:
    rows = session.execute(with_names(ads_query()).where(PromotedPost.id == ad_id, listed())).all()
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
