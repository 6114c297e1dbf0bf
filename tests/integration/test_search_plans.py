"""The public searches choose a plan by how many rows match and where they sit: a count,
then a walk down an index within a budget, or the matches sorted, or a walk to the end.
Each plan must give the page the plain rule gives: these tables are big enough for every
plan to run, and every page is checked against the rule computed here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import Update, insert, select, text, update

from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import CampaignStatus, DecisionStatus, PromotedPostStatus
from adwarden.enforcement.models import Decision
from adwarden.registry.models import Account
from adwarden.serving.inputs import PromotedPostPatch
from adwarden.serving.models import Campaign, PostDelivery, PromotedPost
from adwarden.serving.services import update_promoted_post
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.transparency import ads, decisions, word_shares
from adwarden.transparency.ads import SORT_CAP, WALK_BUDGET, AdFilters, AdSort, AdStatus
from adwarden.transparency.decisions import DecisionFilters, count_cap
from support import make_decision, make_tenant, publish_default_policy

PAGE = 25
POSTS = WALK_BUDGET * PAGE + 2_500  # the oldest lie past the first walk's budget
# (word, which posts carry it): where its matches sit decides the plan that finds them
WORDS = {
    "bloom": lambda n: True,  # everywhere: walked
    "tulip": lambda n: n % 10 == 0,  # one in ten: walked within the budget
    "heirloom": lambda n: n <= 300,  # a few hundred, all old: the budget runs out, sorted
    "perennial": lambda n: n <= 1_200,  # more than SORT_CAP, all old: walked to the end
    # thin among the newest, thick among the oldest: the budget holds over a quarter of the
    # first page, so the walk goes on past it
    "fern": lambda n: n % (250 if n > POSTS - WALK_BUDGET * PAGE else 10) == 1,
    "orchid": lambda n: n % 97 == 0,  # fewer than COUNT_AHEAD: sorted
    "cactus": lambda n: False,  # none: nothing fetched
}


@dataclass(frozen=True)
class Post:
    id: int
    words: frozenset[str]
    spent: int | None  # None: never shown
    first_shown_days_ago: int | None


@pytest.fixture
def posts(db: Database) -> list[Post]:
    publish_default_policy(db)
    tenant = make_tenant(db, "Plantly")
    now = utcnow()
    with db.engine.begin() as connection:
        campaign_id = connection.execute(
            insert(Campaign).returning(Campaign.id),
            {
                "advertiser_id": tenant.advertiser_id,
                "name": "Garden season",
                "currency": "EUR",
                "daily_budget_cents": 10_000,
                "lifetime_budget_cents": 1_000_000,
                "bid_cpm_cents": 300,
                "keywords": [],
                "countries": [],
                "status": CampaignStatus.active,
                "held": False,
                "spent_micros": 0,
                "created_at": now,
                "updated_at": now,
            },
        ).scalar_one()
        first = None
        made: list[Post] = []
        for n in range(1, POSTS + 1):
            words = frozenset(word for word, carries in WORDS.items() if carries(n))
            post_id = connection.execute(
                insert(PromotedPost).returning(PromotedPost.id),
                {
                    "campaign_id": campaign_id,
                    "account_id": tenant.account_id,
                    "text": " ".join(sorted(words)) + f" number {n}",
                    "landing_url": None,
                    "status": PromotedPostStatus.active,
                    "created_at": now,
                    "updated_at": now,
                },
            ).scalar_one()
            first = first or post_id
            shown = n % 5 != 0
            # older posts drew less and were first shown earlier; spend ties are broken by id
            spent = n // 4 if shown else None
            days_ago = (POSTS - n) // 10 if shown else None
            made.append(Post(post_id, words, spent, days_ago))
        connection.execute(
            insert(PostDelivery),
            [
                {
                    "promoted_post_id": post.id,
                    "first_shown_at": now - timedelta(days=post.first_shown_days_ago),
                    "last_shown_at": now - timedelta(days=post.first_shown_days_ago - 1),
                    "impressions": post.spent * 10,
                    "clicks": 0,
                    "spent_micros": post.spent,
                }
                for post in made
                if post.spent is not None and post.first_shown_days_ago is not None
            ],
        )
    return made


def expected(posts: list[Post], word: str, sort: AdSort) -> list[int]:
    found = [post for post in posts if word in post.words]
    if sort is AdSort.newest:
        return [post.id for post in sorted(found, key=lambda p: -p.id)]
    if sort is AdSort.last_shown:  # each shown the day after it was first shown

        def order(p: Post) -> tuple[int, int]:
            return (p.first_shown_days_ago or 0, -p.id)

    else:

        def order(p: Post) -> tuple[int, int]:
            return (-(p.spent or 0), -p.id)

    shown = sorted((post for post in found if post.spent is not None), key=order)
    never = sorted((post for post in found if post.spent is None), key=lambda p: -p.id)
    return [post.id for post in shown + never]


def page_ids(db: Database, filters: Any, offset: int) -> tuple[list[int], int]:
    with db.sessions() as session:
        if isinstance(filters, AdFilters):
            found = ads.search(session, filters, offset=offset, limit=PAGE)
            return [ad.post.id for ad in found.items], found.total
        page = decisions.search(session, filters, offset=offset, limit=PAGE)
        return [decision.id for decision in page.items], page.total


@pytest.mark.parametrize("sort", [AdSort.newest, AdSort.spend])
@pytest.mark.parametrize("word", list(WORDS))
def test_every_plan_gives_the_page_the_rule_gives(
    db: Database, posts: list[Post], word: str, sort: AdSort
) -> None:
    want = expected(posts, word, sort)
    shown = sum(1 for post in posts if word in post.words and post.spent is not None)
    # the first page, a page straddling the last shown ad and the first never shown, the last
    offsets = sorted({0, max(0, shown - PAGE // 2), max(0, len(want) - PAGE // 2)})
    for offset in offsets:
        got, total = page_ids(db, AdFilters(text=word, sort=sort), offset)
        assert got == want[offset : offset + PAGE], (word, sort, offset)
        assert total == min(len(want), count_cap(offset) + 1)
    assert word != "perennial" or len(want) > SORT_CAP


def test_the_words_statistics_choose_the_plan_and_every_page_still_follows_the_rule(
    db: Database, posts: list[Post]
) -> None:
    # once PostgreSQL has analysed the ads, their words' shares decide: few promised, sorted
    # at once; many, never sorted; in between, the first walk decides
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE promoted_posts"))
        with db.sessions() as session:
            shares = word_shares.read(session)
        assert shares is not None
        # the last word is a prefix: the rare words that start with it are counted in too
        rare = shares.rare * shares.ads
        for word in ("bloom", "tulip", "heirloom", "perennial", "orchid"):
            carrying = sum(1 for post in posts if word in post.words)
            estimate = shares.expected([word])
            assert estimate is not None, word
            assert abs(estimate - min(carrying + rare, shares.ads)) <= 0.1 * carrying, word
        assert (shares.expected(["cactus"]) or SORT_CAP) < 100
        assert shares.expected(["bloom", "orc"]) is None  # a short prefix of unknown words
        both = sum(1 for post in posts if {"tulip", "heirloom"} <= post.words)
        estimate = shares.expected(["tulip", "heirloom"])
        assert estimate is not None
        assert abs(estimate - both) <= 10
    for word in WORDS:
        for sort in (AdSort.newest, AdSort.spend):
            want = expected(posts, word, sort)
            for offset in (0, 40):
                got, total = page_ids(db, AdFilters(text=word, sort=sort), offset)
                assert got == want[offset : offset + PAGE], (word, sort, offset)
                assert total == min(len(want), count_cap(offset) + 1), (word, sort, offset)


def test_a_last_word_being_typed_finds_what_the_whole_word_finds(
    db: Database, posts: list[Post]
) -> None:
    # counts try the whole words first, and the prefix only when they fall short of the cap
    for typed, word in (("blo", "bloom"), ("fer", "fern"), ("orch", "orchid")):
        for sort in (AdSort.newest, AdSort.spend):
            want = expected(posts, word, sort)
            got, total = page_ids(db, AdFilters(text=typed, sort=sort), 0)
            assert got == want[:PAGE], (typed, sort)
            assert total == min(len(want), count_cap(0) + 1), (typed, sort)
        # a date range always counts first
        since, until = utcnow().date() - timedelta(days=400), utcnow().date()
        typed_page = page_ids(db, AdFilters(text=typed, since=since, until=until), 0)
        whole_page = page_ids(db, AdFilters(text=word, since=since, until=until), 0)
        assert typed_page == whole_page, typed
        assert whole_page[1] > 0, word


def _a_campaign_like(db: Database, post_id: int) -> tuple[dict[str, Any], int]:
    """The columns of the post's campaign (for another like it) and the post's account."""
    with db.sessions() as session:
        post = session.get(PromotedPost, post_id)
        assert post is not None
        campaign = session.get(Campaign, post.campaign_id)
        assert campaign is not None
        columns = {
            column.key: getattr(campaign, column.key)
            for column in Campaign.__table__.columns
            if column.key != "id"
        }
        return columns, post.account_id


def test_a_sort_leaves_out_a_drafts_ads_never_shown(db: Database, posts: list[Post]) -> None:
    # on PostgreSQL a sort fetches the ads that match by their own conditions, and tests their
    # campaigns only down the sorted page: a draft's ads match the words, and only those shown
    # are listed. They are the newest, and one in six is shown: too few for the first walk to
    # walk on.
    columns, account_id = _a_campaign_like(db, posts[0].id)
    now = utcnow()
    drafts: list[Post] = []
    with db.engine.begin() as connection:
        draft = connection.execute(
            insert(Campaign).returning(Campaign.id),
            {**columns, "name": "Next season", "status": CampaignStatus.draft},
        ).scalar_one()
        for n in range(120):
            post_id = connection.execute(
                insert(PromotedPost).returning(PromotedPost.id),
                {
                    "campaign_id": draft,
                    "account_id": account_id,
                    "text": f"heirloom draft {n}",
                    "landing_url": None,
                    "status": PromotedPostStatus.active,
                    "created_at": now,
                    "updated_at": now,
                },
            ).scalar_one()
            if n % 6 == 0:
                drafts.append(Post(post_id, frozenset({"heirloom"}), n, 1))
                connection.execute(
                    insert(PostDelivery),
                    {
                        "promoted_post_id": post_id,
                        "first_shown_at": now - timedelta(days=1),
                        "last_shown_at": now,
                        "impressions": n * 10,
                        "clicks": 0,
                        "spent_micros": n,
                    },
                )
    for sort in (AdSort.newest, AdSort.spend):
        want = expected(posts + drafts, "heirloom", sort)
        for offset in (0, 40):
            got, total = page_ids(db, AdFilters(text="heirloom", sort=sort), offset)
            assert got == want[offset : offset + PAGE], (sort, offset)
            assert total == min(len(want), count_cap(offset) + 1), (sort, offset)


def test_more_candidates_than_a_sort_takes_still_count_only_the_listed(
    db: Database, posts: list[Post]
) -> None:
    # sixty of the oldest ads, past the first walk's budget, hold a word, and so do a thousand
    # drafts' ads never shown (the newest): a lazy sort finds more candidates than it may
    # take, which says nothing of how many are listed, so they are counted
    oldest = posts[:60]
    with db.engine.begin() as connection:
        for post in oldest:
            connection.execute(
                update(PromotedPost)
                .where(PromotedPost.id == post.id)
                .values(text=f"saffron number {post.id}")
            )
    columns, account_id = _a_campaign_like(db, posts[0].id)
    now = utcnow()
    with db.engine.begin() as connection:
        draft = connection.execute(
            insert(Campaign).returning(Campaign.id),
            {**columns, "name": "Unpublished", "status": CampaignStatus.draft},
        ).scalar_one()
        connection.execute(
            insert(PromotedPost),
            [
                {
                    "campaign_id": draft,
                    "account_id": account_id,
                    "text": f"saffron unseen {n}",
                    "landing_url": None,
                    "status": PromotedPostStatus.active,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(SORT_CAP)
            ],
        )
    holding = [replace(post, words=frozenset({"saffron"})) for post in oldest]
    for sort in (AdSort.newest, AdSort.spend):
        want = expected(holding, "saffron", sort)
        assert page_ids(db, AdFilters(text="saffron", sort=sort), 0) == (want[:PAGE], 60)


def test_a_changed_text_is_found_in_every_order(db: Database, posts: list[Post]) -> None:
    # a walk by spend tests an ad's words on the copy beside its delivery figures, which the
    # database keeps: the copy must follow the ad's new text, however it is changed
    changed = [post for post in posts if post.id % 20 == 0]
    with db.transaction() as session:
        actor = Actor.system(Source.system)
        for post in changed:
            update_promoted_post(session, actor, post.id, PromotedPostPatch(text="zinnia"))
    now = [
        replace(post, words=frozenset({"zinnia"})) if post in changed else post for post in posts
    ]
    for word in ("zinnia", "bloom"):
        for sort in (AdSort.spend, AdSort.last_shown, AdSort.newest):
            got, total = page_ids(db, AdFilters(text=word, sort=sort), 0)
            assert got == expected(now, word, sort)[:PAGE], (word, sort)
            assert total == count_cap(0) + 1, (word, sort)


def test_a_status_search_follows_holds_bars_and_rejections(db: Database, posts: list[Post]) -> None:
    # on PostgreSQL whether an ad is restricted is a flag the database keeps, with its own
    # index (migration 0015): it must follow the ad's campaign, its account and the ad itself,
    # both ways, however they are changed
    with db.sessions() as session:
        first = session.get(PromotedPost, posts[0].id)
        assert first is not None
        campaign_id, account_id = first.campaign_id, first.account_id

    def change(statement: Update) -> None:
        with db.engine.begin() as connection:
            connection.execute(statement)

    def found(status: AdStatus, sort: AdSort = AdSort.newest) -> tuple[list[int], int]:
        return page_ids(db, AdFilters(status=status, sort=sort), 0)

    sorts = (AdSort.newest, AdSort.spend)
    every = {sort: (expected(posts, "bloom", sort)[:PAGE], count_cap(0) + 1) for sort in sorts}
    assert found(AdStatus.restricted) == ([], 0)
    assert found(AdStatus.running) == every[AdSort.newest]
    for row, column, barred in (
        (update(Campaign).where(Campaign.id == campaign_id), "held", True),
        (update(Account).where(Account.id == account_id), "ads_eligible", False),
    ):
        change(row.values({column: barred}))
        for sort in sorts:
            assert found(AdStatus.restricted, sort) == every[sort], (column, sort)
        assert found(AdStatus.running) == ([], 0), column
        change(row.values({column: not barred}))
        assert found(AdStatus.restricted) == ([], 0), column
    change(
        update(PromotedPost)
        .where(PromotedPost.id % 7 == 0)
        .values(status=PromotedPostStatus.rejected)
    )
    rejected = [post for post in posts if post.id % 7 == 0]
    for sort in sorts:
        want = expected(rejected, "bloom", sort)
        assert found(AdStatus.restricted, sort) == (want[:PAGE], count_cap(0) + 1), sort


def test_a_date_range_walks_first_showings_or_sorts_by_spend(
    db: Database, posts: list[Post]
) -> None:
    since, until = utcnow().date() - timedelta(days=120), utcnow().date() - timedelta(days=60)
    found = [
        post
        for post in posts
        if post.first_shown_days_ago is not None
        and (utcnow() - timedelta(days=post.first_shown_days_ago)).date() <= until
        and (utcnow() - timedelta(days=post.first_shown_days_ago - 1)).date() >= since
    ]
    newest = sorted(found, key=lambda p: (p.first_shown_days_ago or 0, -p.id))
    most_spent = sorted(found, key=lambda p: (-(p.spent or 0), -p.id))
    for sort, ordered in ((AdSort.newest, newest), (AdSort.spend, most_spent)):
        want = [post.id for post in ordered]
        for offset in (0, 300, len(want) - PAGE // 2):
            got, _ = page_ids(db, AdFilters(since=since, until=until, sort=sort), offset)
            assert got == want[offset : offset + PAGE], (sort, offset)


def test_decision_plans_count_fetch_or_walk(db: Database) -> None:
    publish_default_policy(db)
    tenant = make_tenant(db, "Seedly")
    model = make_decision(db, tenant)
    with db.sessions() as session:
        row = session.execute(select(Decision.__table__).where(Decision.id == model)).one()
    template = {key: value for key, value in row._mapping.items() if key != "id"}
    serial = count()
    with db.engine.begin() as connection:
        connection.execute(
            insert(Decision),
            [
                {
                    **template,
                    "clause_id": clause,
                    "automated_decision": automated,
                    "status": DecisionStatus.active,
                    "starts_at": template["starts_at"] - timedelta(hours=next(serial) % 97),
                }
                for clause, automated, copies in (("6.1", False, 300), ("5.1", True, 40))
                for _ in range(copies)
            ],
        )
    with db.sessions() as session:
        every = session.execute(
            select(Decision.id, Decision.clause_id, Decision.automated_decision, Decision.starts_at)
        ).all()

    def rule(clause: str, automated: bool | None, newest: bool) -> list[int]:
        found = [
            d
            for d in every
            if d.clause_id == clause and (automated is None or d.automated_decision == automated)
        ]
        ordered = sorted(found, key=lambda d: (d.starts_at, d.id), reverse=newest)
        return [d.id for d in ordered]

    cases = [("6.1", None), ("5.1", None), ("5.1", True), ("6.1", True)]
    for clause, automated in cases:
        for newest in (True, False):
            want = rule(clause, automated, newest)
            filters = DecisionFilters(clause=clause, automated=automated, newest_first=newest)
            for offset in (0, 30):
                got, total = page_ids(db, filters, offset)
                assert got == want[offset : offset + PAGE], (clause, automated, newest, offset)
                assert total == min(len(want), count_cap(offset) + 1)
    # by the advertiser's name: every decision is Seedly's, read in date order from the index
    # of its decisions (many), or with a clause, fetched and sorted (few)
    for clause, name in ((None, "Seedly"), (None, "seed"), ("5.1", "Seedly")):
        for newest in (True, False):
            found = [d for d in every if clause is None or d.clause_id == clause]
            ordered = sorted(found, key=lambda d: (d.starts_at, d.id), reverse=newest)
            want = [d.id for d in ordered]
            filters = DecisionFilters(advertiser=name, clause=clause, newest_first=newest)
            for offset in (0, 30):
                got, total = page_ids(db, filters, offset)
                assert got == want[offset : offset + PAGE], (clause, name, newest, offset)
                assert total == min(len(want), count_cap(offset) + 1)
