"""Bulk exports of the ads repository and the decisions database: CSV, JSON Lines, and the
decisions in the shape of the EU DSA Transparency Database API v2.

Rows stream in id order, a batch at a time, each batch read in its own short session, so
a million rows take the memory of one batch. Every row carries its id: to resume a
download that broke off, ask again with `after` set to the last id received.

On PostgreSQL each decision's lines are rendered when it is published or changed
(`refresh_decisions`, from the publication hook) and kept in `decision_exports` with the
versions (`xmin`) of the rows they were rendered from: the decision and its advertiser, plus
the public URL and the renderer. The export streams a kept line only while all of those are
still the same, and renders any other as it reads it: a row edited since, even behind the
application's back, shows as it now is (which is how `adwarden log verify` sees it). The
decision's appeals' versions are kept too: an export compares them only for a decision that
had appeals when its line was rendered (few do), and `adwarden exports refresh` for all
(publication renders a decision again when it writes one of its appeals). A natural person's
decisions are never kept: whose names to withhold is read each time. Ads' lines are kept
likewise, by the refresh (see "ads" below).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

import orjson
import psycopg
from psycopg import pq
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    any_,
    case,
    delete,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from adwarden import settings
from adwarden.domain.enums import AdvertiserKind, SubjectLevel
from adwarden.enforcement.models import Decision
from adwarden.registry.models import Advertiser
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.store.base import UTCDateTime, utcnow
from adwarden.store.compiled import Slots, driver_sql
from adwarden.store.engine import Database
from adwarden.store.queries import among
from adwarden.transparency.ads import (
    Moment,
    PublicAd,
    ads_query,
    listed,
    public_ads,
    with_names,
)
from adwarden.transparency.decisions import PublicDecision, decisions_by_id, public_decisions
from adwarden.transparency.models import AdExport, DecisionExport

BATCH = 2_000


class Format(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    tdb = "tdb"  # decisions only: DSA Transparency Database API v2 statements, one per line


MEDIA_TYPES = {
    Format.csv: "text/csv; charset=utf-8",
    Format.jsonl: "application/x-ndjson",
    Format.tdb: "application/x-ndjson",
}

DECISION_COLUMNS = [
    "id", "puid", "url", "starts_at", "ends_at", "advertiser_id", "advertiser", "level",
    "subject", "outcome", "clause", "clause_title", "policy_version", "ground", "dsa_category",
    "automated_detection", "automated_decision", "status", "status_reason", "appeals",
    "appeal_outcomes", "facts_summary",
]  # fmt: skip
AD_COLUMNS = [
    "id", "url", "status", "advertiser_id", "advertiser", "paid_by", "account", "text",
    "landing_url", "withheld_by_decision", "first_shown", "last_shown", "impressions_lower",
    "impressions_upper", "currency", "spend_lower", "spend_upper", "keywords", "countries",
    "starts_at", "ends_at", "decisions",
]  # fmt: skip


def _decision_row(view: PublicDecision) -> list[Any]:
    data = view.as_json()
    return [
        data["id"], data["puid"], data["url"], data["starts_at"], data["ends_at"],
        data["advertiser"]["id"], data["advertiser"]["name"], data["subject"]["level"],
        data["subject"]["label"], data["outcome"], data["clause"]["id"], data["clause"]["title"],
        data["clause"]["policy_version"], data["clause"]["ground"], data["clause"]["dsa_category"],
        data["automated_detection"], data["automated_decision"], data["status"],
        data["status_reason"], len(data["appeals"]),
        " ".join(a["outcome"] or a["status"] for a in data["appeals"]), data["facts_summary"],
    ]  # fmt: skip


def _ad_row(ad: PublicAd) -> list[Any]:
    data = ad.as_json()
    content = data["content"] or {}
    return [
        data["id"], data["url"], data["status"], (data["advertiser"] or {}).get("id"),
        (data["advertiser"] or {}).get("name"), data["paid_by"],
        (data["account"] or {}).get("handle"),
        content.get("text"), content.get("landing_url"),
        (data["withheld"] or {}).get("decision_id"), data["first_shown"], data["last_shown"],
        data["impressions"]["lower"], data["impressions"]["upper"], data["spend"]["currency"],
        data["spend"]["lower"], data["spend"]["upper"], " ".join(data["targeting"]["keywords"]),
        " ".join(data["targeting"]["countries"]), data["targeting"]["starts_at"],
        data["targeting"]["ends_at"], " ".join(str(d["id"]) for d in data["decisions"]),
    ]  # fmt: skip


def tdb_statement(view: PublicDecision) -> dict[str, Any]:
    """The statement as the DSA Transparency Database API v2 takes it (`redress` is ours)."""
    return {key: value for key, value in view.statement.items() if key != "redress"}


def _cell(value: Any) -> Any:
    # a spreadsheet runs a cell that starts like a formula: advertisers write these texts
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _lines(rows: list[Any], fmt: Format) -> str:
    if fmt is Format.csv:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([_cell(v) for v in row] for row in rows)
        return out.getvalue()
    return b"".join(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE) for row in rows).decode()


def _stream(
    db: Database,
    fetch: Callable[[Session, int, int], list[tuple[int, bytes]]],
    fmt: Format,
    columns: list[str],
    after: int,
    limit: int | None,
) -> Iterator[bytes]:
    """The header (CSV), then batches of (id, line) from `fetch(session, after, size)`, each
    in its own session, until `limit` lines or the end. The next batch is read while one is
    sent: otherwise the database and Python would take turns, each idle half the time."""
    if fmt is Format.csv:
        yield _lines([columns], fmt).encode()

    def read(cursor: int, size: int) -> list[tuple[int, bytes]]:
        # committed, not rolled back: a rollback drops the connection's prepared statements;
        # a reader, so on SQLite it waits for no writer's turn (it takes one if it writes)
        with db.transaction(writes=False) as session:
            return fetch(session, cursor, size)

    def next_size(sent: int) -> int:
        return BATCH if limit is None else min(BATCH, limit - sent)

    sent, size = 0, next_size(0)
    if size <= 0:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export") as reader:
        pending: Future[list[tuple[int, bytes]]] | None = reader.submit(read, after, size)
        while pending is not None:
            lines = pending.result()
            sent += len(lines)
            pending = None
            if len(lines) == size and (limit is None or sent < limit):
                size = next_size(sent)
                pending = reader.submit(read, lines[-1][0], size)
            if lines:
                yield b"".join(line for _, line in lines)


class _Undecoded(Loader):
    """A text value as PostgreSQL sends it in binary: its UTF-8 bytes."""

    format = pq.Format.BINARY

    def load(self, data: Buffer) -> bytes:
        return bytes(data)


def _kept_rows(
    session: Session, query: Any, values: dict[str, Any] | None = None
) -> list[tuple[int, bytes | None]]:
    """(id, kept line or None) rows of `query`, each line in the UTF-8 bytes PostgreSQL sends:
    an export passes them on as they are, where decoding every line to send it encoded again
    cost more than reading it. `query` is a statement, its values written in (an export's
    batch: one statement each), or SQL compiled once, with its `values` (`_page_lines`).
    SQLite keeps no lines: its queries select None for them."""
    if session.get_bind().dialect.name != "postgresql":
        return [(int(row[0]), None) for row in session.execute(query)]
    if not isinstance(query, str):
        query = str(
            query.compile(
                dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
            )
        )  # its %% written for the driver to read as %
    connection = cast(psycopg.Connection[Any], session.connection().connection.dbapi_connection)
    with connection.cursor(binary=True) as cursor:
        cursor.adapters.register_loader("text", _Undecoded)
        cursor.execute(query, values or {})
        return [(int(row[0]), row[1]) for row in cursor.fetchall()]


# A page's statements of kept lines, compiled once (`_page_lines`)
_page_statements: dict[tuple[str, str], str] = {}


def _page_lines(
    session: Session,
    what: str,
    build: Callable[[ColumnElement[bool], Moment], Any],
    column: Any,
    ids: Sequence[int],
    now: datetime,
) -> list[tuple[int, bytes | None]]:
    """`_kept_rows` of the statement `build(ids condition, now)`, for a page of an answer:
    on PostgreSQL compiled once, where building it for every answer took the API longer than
    PostgreSQL took to run it."""
    if session.get_bind().dialect.name != "postgresql":
        return _kept_rows(session, build(among(session, column, ids), now))
    key = (what, settings.public_url())  # written in, as kept lines hold it
    if key not in _page_statements:

        def page(slot: Slots) -> Any:
            ids_slot = slot("page_ids", ARRAY(Integer()))
            return build(column == any_(ids_slot), slot("page_now", UTCDateTime()))

        _page_statements[key] = driver_sql(session.get_bind().dialect, page)
    return _kept_rows(session, _page_statements[key], {"page_ids": list(ids), "page_now": now})


RENDERER = 2  # what a kept line holds: change it with the renderers below

_RENDER: dict[Format, Callable[[PublicDecision], Any]] = {
    Format.csv: _decision_row,
    Format.jsonl: PublicDecision.as_json,
    Format.tdb: tdb_statement,
}

# the versions of the rows a decision's lines are rendered from (PostgreSQL's xmin changes
# with every update of a row, whoever makes it); FROM must hold decisions and advertisers.
# Its appeals' are compared by an export only where the line was rendered with some (few
# are: it would otherwise look them up for every line), by `stale_decisions` always;
# publication renders again the lines of a decision whose appeal it writes.
_ROW_VERSIONS: ColumnElement[str] = literal_column(
    "decisions.xmin::text || '/' || advertisers.xmin::text"
)
_APPEAL_VERSIONS: ColumnElement[str] = literal_column(
    "coalesce((SELECT string_agg(appeals.xmin::text, ',' ORDER BY appeals.id) FROM appeals"
    " WHERE appeals.decision_id = decisions.id), '')"
)


def _stamped(versions: ColumnElement[str]) -> ColumnElement[str]:
    """What a kept line must have been rendered from to be streamed: the rows' versions as
    they are now, the public URL and the renderer."""
    return versions.op("||")(literal(f"|{settings.public_url()}|{RENDERER}"))


def _source() -> ColumnElement[str]:
    return _stamped(_ROW_VERSIONS)


def decision_line(view: PublicDecision, fmt: Format) -> str:
    """One decision as export format `fmt` gives it, line end included."""
    return _lines([_RENDER[fmt](view)], fmt)


def refresh_decisions(session: Session, decision_ids: Iterable[int]) -> int:
    """Render and keep the export lines of these decisions (on PostgreSQL; an organisation's
    only). Returns how many were kept."""
    ids = sorted(set(decision_ids))
    if not ids or session.get_bind().dialect.name != "postgresql":
        return 0
    rows = session.execute(
        select(Decision, _source(), _APPEAL_VERSIONS)
        .join(Advertiser, Advertiser.id == Decision.advertiser_id)
        .where(among(session, Decision.id, ids), Advertiser.kind == AdvertiserKind.organization)
        .order_by(Decision.id)
    ).all()
    if not rows:
        return 0
    # every line is made before anything is written: a failure leaves the transaction as it was
    views = public_decisions(session, [row[0] for row in rows])
    lines = [
        {
            "decision_id": view.decision.id,
            "source": source,
            "appeals": appeals,
            **{fmt.value: decision_line(view, fmt) for fmt in Format},
        }
        for view, (_, source, appeals) in zip(views, rows, strict=True)
    ]
    _keep(session, DecisionExport, "decision_id", lines)
    return len(lines)


def _keep(
    session: Session, model: type[DecisionExport | AdExport], key: str, lines: list[dict[str, Any]]
) -> None:
    """Insert or replace these rows of kept lines: one statement, sent in batches."""
    upsert = pg_insert(model)
    session.connection().execute(
        upsert.on_conflict_do_update(
            index_elements=[key],
            set_={name: upsert.excluded[name] for name in lines[0] if name != key},
        ),
        lines,
    )


def stale_decisions(session: Session, after: int = 0, size: int = BATCH) -> list[int]:
    """Up to `size` decisions past id `after` whose kept lines are missing or out of date,
    their appeals compared too (what `adwarden exports refresh` renders again). None on
    SQLite, which keeps none."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    return list(
        session.scalars(
            select(Decision.id)
            .join(Advertiser, Advertiser.id == Decision.advertiser_id)
            .outerjoin(DecisionExport, DecisionExport.decision_id == Decision.id)
            .where(
                Decision.id > after,
                Advertiser.kind == AdvertiserKind.organization,
                or_(
                    DecisionExport.source.is_distinct_from(_source()),
                    DecisionExport.appeals.is_distinct_from(_APPEAL_VERSIONS),
                ),
            )
            .order_by(Decision.id)
            .limit(size)
        )
    )


def _kept_decisions(session: Session, fmt: Format, after: int | None = None) -> Any:
    """Decisions (past `after` if given) with their kept `fmt` lines where current, else None."""
    if session.get_bind().dialect.name != "postgresql":
        return select(Decision.id, null())
    kept = DecisionExport.decision_id == Decision.id
    if after is not None:
        # said of both sides: a merge join would otherwise read the lines from the first
        kept = and_(kept, DecisionExport.decision_id > after)
    # an answer edited behind adwarden's back shows as it is (for `adwarden log verify`); the
    # appeals are looked up only for lines that had some, after the cheap test
    same_appeals = or_(DecisionExport.appeals == "", DecisionExport.appeals == _APPEAL_VERSIONS)
    current: Any = case(
        (
            and_(DecisionExport.source == _source(), same_appeals),
            getattr(DecisionExport, fmt.value),
        ),
        else_=None,
    )
    return (
        select(Decision.id, current)
        .join(Advertiser, Advertiser.id == Decision.advertiser_id)
        .outerjoin(DecisionExport, kept)
    )


def _filled(
    rows: list[tuple[int, bytes | None]], render: Callable[[list[int]], dict[int, bytes]]
) -> list[tuple[int, bytes]]:
    """`rows` with each missing line rendered by `render(ids)`."""
    stale = [row_id for row_id, line in rows if line is None]
    rendered = render(stale) if stale else {}
    return [(row_id, line or rendered[row_id]) for row_id, line in rows]


def _decision_lines(
    session: Session, fmt: Format, after: int, size: int
) -> list[tuple[int, bytes]]:
    """The next `size` decisions' lines: kept ones where they are current, the rest rendered."""
    rows = _kept_rows(
        session,
        _kept_decisions(session, fmt, after)
        .where(Decision.id > after)
        .order_by(Decision.id)
        .limit(size),
    )

    def render(ids: list[int]) -> dict[int, bytes]:
        decisions = session.scalars(
            select(Decision).where(among(session, Decision.id, ids)).order_by(Decision.id)
        ).all()
        return {
            view.decision.id: decision_line(view, fmt).encode()
            for view in public_decisions(session, decisions)
        }

    return _filled(rows, render)


def decision_json(session: Session, ids: Sequence[int]) -> list[bytes]:
    """These decisions as the public API gives each (`PublicDecision.as_json`), in JSON and
    in the order of `ids`: the kept line where it is current, as an export reads it, else
    rendered now."""
    if not ids:
        return []
    rows = _page_lines(
        session,
        "decisions",
        lambda among_ids, _: _kept_decisions(session, Format.jsonl).where(among_ids),
        Decision.id,
        ids,
        utcnow(),
    )

    def render(stale: list[int]) -> dict[int, bytes]:
        views = public_decisions(session, decisions_by_id(session, stale))
        return {view.decision.id: decision_line(view, Format.jsonl).encode() for view in views}

    lines = dict(_filled(rows, render))
    return [lines[decision_id].rstrip(b"\n") for decision_id in ids]


def export_decisions(
    db: Database, fmt: Format, *, after: int = 0, limit: int | None = None
) -> Iterator[bytes]:
    def fetch(session: Session, cursor: int, size: int) -> list[tuple[int, bytes]]:
        return _decision_lines(session, fmt, cursor, size)

    return _stream(db, fetch, fmt, DECISION_COLUMNS, after, limit)


def export_ads(
    db: Database, fmt: Format, *, after: int = 0, limit: int | None = None
) -> Iterator[bytes]:
    if fmt is Format.tdb:
        raise ValueError("the DSA Transparency Database format holds decisions, not ads")

    def fetch(session: Session, cursor: int, size: int) -> list[tuple[int, bytes]]:
        return _ad_lines(session, fmt, cursor, size)

    return _stream(db, fetch, fmt, AD_COLUMNS, after, limit)


# --- ads ---------------------------------------------------------------------------------------
#
# An ad's lines are kept like a decision's, from rows that change more often: its delivery
# with every showing, and the decisions on the post, its campaign, account or advertiser. An
# export compares the versions of the ad's own rows as it reads each line; the decisions on
# it would take as long again to look up, so publication forgets the lines of every ad under
# a decision it writes (`forget_ads`), and `stale_ads` (for `adwarden exports refresh`) also
# compares the decisions' versions. A line is good only until its campaign starts or ends,
# when the ad's status changes with nothing written.

AD_FORMATS = (Format.csv, Format.jsonl)
_AD_RENDER: dict[Format, Callable[[PublicAd], Any]] = {
    Format.csv: _ad_row,
    Format.jsonl: PublicAd.as_json,
}
_SUBJECTS: dict[SubjectLevel, Any] = {
    SubjectLevel.advertiser: Campaign.advertiser_id,
    SubjectLevel.account: PromotedPost.account_id,
    SubjectLevel.campaign: PromotedPost.campaign_id,
    SubjectLevel.post: PromotedPost.id,
}

# FROM must hold what `with_names(ads_query())` joins
_AD_ROW_VERSIONS: ColumnElement[str] = literal_column(
    "promoted_posts.xmin::text || '/' || campaigns.xmin::text || '/' || accounts.xmin::text"
    " || '/' || advertisers.xmin::text || '/' || coalesce(post_delivery.xmin::text, '')"
)


def _with_decision_versions(query: Any) -> tuple[Any, ColumnElement[str]]:
    """`query` (over `with_names(ads_query())`) joined to the versions of the decisions on
    each ad. They are looked up one level at a time, so that PostgreSQL remembers each
    campaign's, account's and advertiser's for the next ad of the same."""
    versions = []
    for level, subject in _SUBJECTS.items():
        found = Decision.__table__.alias(f"decisions_on_{level.value}")
        listed: ColumnElement[str] = literal_column(
            f"string_agg({found.name}.id || ':' || {found.name}.xmin, ',' ORDER BY {found.name}.id)"
        )
        on_level = (
            select(listed.label("versions"))
            .where(found.c.level == level, found.c.subject_id == subject)
            .lateral(f"versions_on_{level.value}")
        )
        query = query.outerjoin(on_level, true())
        versions.append(f"coalesce({on_level.name}.versions, '')")
    every: ColumnElement[str] = literal_column(" || ';' || ".join(versions))
    return query, every


def _ads(after: int | None = None) -> Any:
    return with_names(ads_query(after)).where(listed())


def _valid_until(ad: PublicAd, now: datetime) -> datetime | None:
    ahead = [
        moment for moment in (ad.campaign.starts_at, ad.campaign.ends_at) if moment and moment > now
    ]
    return min(ahead, default=None)


def ad_line(ad: PublicAd, fmt: Format) -> str:
    """One ad as export format `fmt` gives it, line end included."""
    return _lines([_AD_RENDER[fmt](ad)], fmt)


def _render_ads(session: Session, ids: list[int], now: datetime) -> list[PublicAd]:
    rows = session.execute(
        _ads().where(among(session, PromotedPost.id, ids)).order_by(PromotedPost.id)
    ).all()
    return public_ads(session, rows, now)


def refresh_ads(session: Session, ad_ids: Iterable[int]) -> int:
    """Render and keep the export lines of these ads (on PostgreSQL, listed ads only).
    Returns how many were kept."""
    ids = sorted(set(ad_ids))
    if not ids or session.get_bind().dialect.name != "postgresql":
        return 0
    now = utcnow()
    query, decisions = _with_decision_versions(_ads())
    sources = {
        ad_id: (source, versions)
        for ad_id, source, versions in session.execute(
            query.with_only_columns(PromotedPost.id, _stamped(_AD_ROW_VERSIONS), decisions).where(
                among(session, PromotedPost.id, ids)
            )
        )
    }
    ads = _render_ads(session, sorted(sources), now)
    if not ads:
        return 0
    lines = [
        {
            "promoted_post_id": ad.post.id,
            "source": sources[ad.post.id][0],
            "decisions": sources[ad.post.id][1],
            "valid_until": _valid_until(ad, now),
            **{fmt.value: ad_line(ad, fmt) for fmt in AD_FORMATS},
        }
        for ad in ads
    ]
    _keep(session, AdExport, "promoted_post_id", lines)
    return len(lines)


def _kept_ad(
    session: Session, now: Moment, after: int | None = None
) -> tuple[Any, ColumnElement[bool]]:
    """Listed ads (past `after` if given) with their kept lines, and whether those are
    current (as far as the ads' own rows and the clock tell)."""
    kept = AdExport.promoted_post_id == PromotedPost.id
    if after is not None:
        kept = and_(kept, AdExport.promoted_post_id > after)
    query = _ads(after).outerjoin(AdExport, kept)
    current = and_(
        AdExport.source == _stamped(_AD_ROW_VERSIONS),
        or_(AdExport.valid_until.is_(None), AdExport.valid_until > now),
    )
    return query, current


def stale_ads(session: Session, after: int = 0, size: int = BATCH) -> list[int]:
    """Up to `size` listed ads past id `after` whose kept lines are missing or out of date,
    the decisions on them compared too. None on SQLite, which keeps none."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    query, current = _kept_ad(session, utcnow(), after)
    query, decisions = _with_decision_versions(query)
    return list(
        session.scalars(
            query.with_only_columns(PromotedPost.id)
            .where(
                or_(
                    AdExport.promoted_post_id.is_(None),
                    ~current,
                    AdExport.decisions.is_distinct_from(decisions),
                )
            )
            .order_by(PromotedPost.id)
            .limit(size)
        )
    )


def forget_ads(session: Session, decision_ids: Iterable[int]) -> None:
    """Drop the kept lines of every ad under these decisions (a post, or the posts of a
    campaign, account or advertiser): publication calls it for the decisions it writes."""
    ids = sorted(set(decision_ids))
    if not ids or session.get_bind().dialect.name != "postgresql":
        return
    subjects = session.execute(
        select(Decision.level, Decision.subject_id).where(among(session, Decision.id, ids))
    ).all()
    by_level: dict[SubjectLevel, set[int]] = {}
    for level, subject_id in subjects:
        by_level.setdefault(level, set()).add(subject_id)
    if not by_level:
        return
    under = [among(session, _SUBJECTS[level], found) for level, found in by_level.items()]
    posts = (
        select(PromotedPost.id)
        .join(Campaign, Campaign.id == PromotedPost.campaign_id)
        .where(or_(*under))
    )
    session.connection().execute(
        delete(AdExport).where(AdExport.promoted_post_id.in_(posts.scalar_subquery()))
    )


def _ad_rows(session: Session, fmt: Format, now: Moment, after: int | None = None) -> Any:
    """Listed ads (past `after` if given): their ids and kept `fmt` lines where current."""
    if session.get_bind().dialect.name != "postgresql":
        return _ads(after).with_only_columns(PromotedPost.id, null())
    query, current = _kept_ad(session, now, after)
    return query.with_only_columns(
        PromotedPost.id, case((current, getattr(AdExport, fmt.value)), else_=None)
    )


def _ad_lines(session: Session, fmt: Format, after: int, size: int) -> list[tuple[int, bytes]]:
    """The next `size` listed ads' lines: kept ones where they are current, the rest rendered."""
    now = utcnow()
    rows = _kept_rows(
        session, _ad_rows(session, fmt, now, after).order_by(PromotedPost.id).limit(size)
    )

    def render(ids: list[int]) -> dict[int, bytes]:
        return {ad.post.id: ad_line(ad, fmt).encode() for ad in _render_ads(session, ids, now)}

    return _filled(rows, render)


def ad_json(session: Session, ids: Sequence[int]) -> list[bytes]:
    """These listed ads as the public API gives each (`PublicAd.as_json`), in JSON and in the
    order of `ids`: the kept line where it is current, as an export reads it, else rendered
    now."""
    if not ids:
        return []
    now = utcnow()
    rows = _page_lines(
        session,
        "ads",
        lambda among_ids, at: _ad_rows(session, Format.jsonl, at).where(among_ids),
        PromotedPost.id,
        ids,
        now,
    )

    def render(stale: list[int]) -> dict[int, bytes]:
        rendered = _render_ads(session, stale, now)
        return {ad.post.id: ad_line(ad, Format.jsonl).encode() for ad in rendered}

    lines = dict(_filled(rows, render))
    return [lines[ad_id].rstrip(b"\n") for ad_id in ids]
