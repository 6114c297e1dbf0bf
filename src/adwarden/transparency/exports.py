"""Bulk exports of the ads repository and the decisions database: CSV, JSON Lines, and the
decisions in the shape of the EU DSA Transparency Database API v2.

Rows stream in id order, a batch at a time, each batch read in its own short session, so
a million rows take the memory of one batch. Every row carries its id: to resume a
download that broke off, ask again with `after` set to the last id received.

On PostgreSQL each decision's lines are rendered when it is published or changed
(`refresh_decisions`, from the publication hook) and kept in `decision_exports` with the
versions (`xmin`) of the rows they were rendered from: the decision, its advertiser and its
appeals, plus the public URL and the renderer. The export streams a kept line only while all
of those are still the same, and renders any other as it reads it: a row edited since, even
behind the application's back, shows as it now is (which is how `adwarden log verify` sees
it). A natural person's decisions are never kept: whose names to withhold is read each time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import ColumnElement, case, literal, literal_column, null, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from adwarden import settings
from adwarden.domain.enums import AdvertiserKind
from adwarden.enforcement.models import Decision
from adwarden.registry.models import Advertiser
from adwarden.serving.models import PromotedPost
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.store.queries import among
from adwarden.transparency.ads import (
    AdFilters,
    PublicAd,
    ad_conditions,
    ads_query,
    public_ads,
    with_names,
)
from adwarden.transparency.decisions import PublicDecision, public_decisions
from adwarden.transparency.models import DecisionExport

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
    fetch: Callable[[Session, int, int], list[tuple[int, str]]],
    fmt: Format,
    columns: list[str],
    after: int,
    limit: int | None,
) -> Iterator[str]:
    """The header (CSV), then batches of (id, line) from `fetch(session, after, size)`, each
    in its own session, until `limit` lines or the end."""
    if fmt is Format.csv:
        yield _lines([columns], fmt)
    cursor, sent = after, 0
    while limit is None or sent < limit:
        size = BATCH if limit is None else min(BATCH, limit - sent)
        with db.sessions() as session:
            lines = fetch(session, cursor, size)
        if not lines:
            return
        yield "".join(line for _, line in lines)
        sent += len(lines)
        cursor = lines[-1][0]
        if len(lines) < size:
            return


def _ads_after(session: Session, after: int, size: int) -> list[PublicAd]:
    now = utcnow()
    rows = session.execute(
        with_names(ads_query())
        .where(PromotedPost.id > after, *ad_conditions(session, AdFilters(), now))
        .order_by(PromotedPost.id)
        .limit(size)
    ).all()
    return public_ads(session, rows, now)


RENDERER = 1  # what a kept line holds: change it with the renderers below

_RENDER: dict[Format, Callable[[PublicDecision], Any]] = {
    Format.csv: _decision_row,
    Format.jsonl: PublicDecision.as_json,
    Format.tdb: tdb_statement,
}

# the versions of every row a decision's lines are rendered from (PostgreSQL's xmin changes
# with every update of a row, whoever makes it); FROM must hold decisions and advertisers
_ROW_VERSIONS: ColumnElement[str] = literal_column(
    "decisions.xmin::text || '/' || advertisers.xmin::text || '/' || coalesce(("
    "SELECT string_agg(appeals.xmin::text, ',' ORDER BY appeals.id) FROM appeals"
    " WHERE appeals.decision_id = decisions.id), '')"
)


def _source() -> ColumnElement[str]:
    """What a kept line must have been rendered from to be streamed: the rows' versions as
    they are now, the public URL and the renderer."""
    return _ROW_VERSIONS.op("||")(literal(f"|{settings.public_url()}|{RENDERER}"))


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
        select(Decision, _source())
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
            **{fmt.value: decision_line(view, fmt) for fmt in Format},
        }
        for view, (_, source) in zip(views, rows, strict=True)
    ]
    upsert = pg_insert(DecisionExport).values(lines)
    session.connection().execute(
        upsert.on_conflict_do_update(
            index_elements=[DecisionExport.decision_id],
            set_={name: upsert.excluded[name] for name in ("source", "jsonl", "csv", "tdb")},
        )
    )
    return len(lines)


def stale_decisions(session: Session, after: int = 0, size: int = BATCH) -> list[int]:
    """Up to `size` decisions past id `after` whose kept lines are missing or out of date
    (what `adwarden exports refresh` renders again). None on SQLite, which keeps none."""
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
                DecisionExport.source.is_distinct_from(_source()),
            )
            .order_by(Decision.id)
            .limit(size)
        )
    )


def _decision_lines(session: Session, fmt: Format, after: int, size: int) -> list[tuple[int, str]]:
    """The next `size` decisions' lines: kept ones where they are current, the rest rendered."""
    if session.get_bind().dialect.name == "postgresql":
        kept: Any = case(
            (DecisionExport.source == _source(), getattr(DecisionExport, fmt.value)), else_=None
        )
        query = (
            select(Decision.id, kept)
            .join(Advertiser, Advertiser.id == Decision.advertiser_id)
            .outerjoin(DecisionExport, DecisionExport.decision_id == Decision.id)
        )
    else:
        query = select(Decision.id, null())
    rows = session.execute(query.where(Decision.id > after).order_by(Decision.id).limit(size)).all()
    stale = [decision_id for decision_id, line in rows if line is None]
    rendered: dict[int, str] = {}
    if stale:
        decisions = session.scalars(
            select(Decision).where(among(session, Decision.id, stale)).order_by(Decision.id)
        ).all()
        rendered = {
            view.decision.id: decision_line(view, fmt)
            for view in public_decisions(session, decisions)
        }
    return [(decision_id, line or rendered[decision_id]) for decision_id, line in rows]


def export_decisions(
    db: Database, fmt: Format, *, after: int = 0, limit: int | None = None
) -> Iterator[str]:
    def fetch(session: Session, cursor: int, size: int) -> list[tuple[int, str]]:
        return _decision_lines(session, fmt, cursor, size)

    return _stream(db, fetch, fmt, DECISION_COLUMNS, after, limit)


def export_ads(
    db: Database, fmt: Format, *, after: int = 0, limit: int | None = None
) -> Iterator[str]:
    if fmt is Format.tdb:
        raise ValueError("the DSA Transparency Database format holds decisions, not ads")
    render: Callable[[PublicAd], Any] = _ad_row if fmt is Format.csv else PublicAd.as_json

    def fetch(session: Session, cursor: int, size: int) -> list[tuple[int, str]]:
        return [(ad.post.id, _lines([render(ad)], fmt)) for ad in _ads_after(session, cursor, size)]

    return _stream(db, fetch, fmt, AD_COLUMNS, after, limit)
