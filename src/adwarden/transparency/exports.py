"""Bulk exports of the ads repository and the decisions database: CSV, JSON Lines, and the
decisions in the shape of the EU DSA Transparency Database API v2.

Rows stream in id order, a batch at a time, each batch read in its own short session, so
a million rows take the memory of one batch. Every row carries its id: to resume a
download that broke off, ask again with `after` set to the last id received.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.enforcement.models import Decision
from adwarden.serving.models import PromotedPost
from adwarden.store.base import utcnow
from adwarden.store.engine import Database
from adwarden.transparency.ads import (
    AdFilters,
    PublicAd,
    ad_conditions,
    ads_query,
    public_ads,
    with_names,
)
from adwarden.transparency.decisions import PublicDecision, public_decisions

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


def _lines(rows: list[Any], fmt: Format, columns: list[str], first: bool) -> str:
    if fmt is Format.csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if first:
            writer.writerow(columns)
        writer.writerows([_cell(value) for value in row] for row in rows)
        return out.getvalue()
    return b"".join(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE) for row in rows).decode()


def _stream(
    db: Database,
    fetch: Callable[[Session, int, int], list[Any]],
    render: Callable[[Any], Any],
    fmt: Format,
    columns: list[str],
    after: int,
    limit: int | None,
) -> Iterator[str]:
    cursor, sent, first = after, 0, True
    while limit is None or sent < limit:
        size = BATCH if limit is None else min(BATCH, limit - sent)
        with db.sessions() as session:
            batch = fetch(session, cursor, size)
            rendered = [render(item) for item in batch]
        if first and not batch and fmt is Format.csv:
            yield _lines([], fmt, columns, True)
        if not batch:
            return
        yield _lines(rendered, fmt, columns, first)
        first = False
        sent += len(batch)
        cursor = _id_of(batch[-1])
        if len(batch) < size:
            return


def _id_of(item: Any) -> int:
    return int(item.decision.id if isinstance(item, PublicDecision) else item.post.id)


def _decisions_after(session: Session, after: int, size: int) -> list[PublicDecision]:
    decisions = session.scalars(
        select(Decision).where(Decision.id > after).order_by(Decision.id).limit(size)
    ).all()
    return public_decisions(session, decisions)


def _ads_after(session: Session, after: int, size: int) -> list[PublicAd]:
    now = utcnow()
    rows = session.execute(
        with_names(ads_query())
        .where(PromotedPost.id > after, *ad_conditions(session, AdFilters(), now))
        .order_by(PromotedPost.id)
        .limit(size)
    ).all()
    return public_ads(session, rows, now)


def export_decisions(
    db: Database, fmt: Format, *, after: int = 0, limit: int | None = None
) -> Iterator[str]:
    render: Callable[[PublicDecision], Any] = {
        Format.csv: _decision_row,
        Format.jsonl: PublicDecision.as_json,
        Format.tdb: tdb_statement,
    }[fmt]
    return _stream(db, _decisions_after, render, fmt, DECISION_COLUMNS, after, limit)


def export_ads(
    db: Database, fmt: Format, *, after: int = 0, limit: int | None = None
) -> Iterator[str]:
    if fmt is Format.tdb:
        raise ValueError("the DSA Transparency Database format holds decisions, not ads")
    render: Callable[[PublicAd], Any] = _ad_row if fmt is Format.csv else PublicAd.as_json
    return _stream(db, _ads_after, render, fmt, AD_COLUMNS, after, limit)
