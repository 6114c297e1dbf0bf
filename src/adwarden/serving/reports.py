"""What an advertiser's ads did, by day and campaign, from the spend counters (which
`adwarden ledger rebuild` checks against the ledger)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.serving.models import Campaign, DailySpend
from adwarden.serving.money import in_units


@dataclass(frozen=True)
class ReportRow:
    day: date
    campaign_id: int
    campaign: str
    currency: str
    impressions: int
    clicks: int
    spent_micros: int


def daily_report(session: Session, advertiser_id: int) -> list[ReportRow]:
    rows = session.execute(
        select(DailySpend, Campaign.name, Campaign.currency)
        .join(Campaign, Campaign.id == DailySpend.campaign_id)
        .where(Campaign.advertiser_id == advertiser_id)
        .order_by(DailySpend.day, DailySpend.campaign_id)
    )
    return [
        ReportRow(
            spend.day,
            spend.campaign_id,
            name,
            currency,
            spend.impressions,
            spend.clicks,
            spend.spent_micros,
        )
        for spend, name, currency in rows
    ]


CSV_COLUMNS = ("day", "campaign_id", "campaign", "impressions", "clicks", "spend", "currency")


def report_csv(rows: list[ReportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row.day.isoformat(),
                row.campaign_id,
                row.campaign,
                row.impressions,
                row.clicks,
                f"{in_units(row.spent_micros):.6f}",
                row.currency,
            )
        )
    return out.getvalue()


def spend_by_day(rows: list[ReportRow]) -> tuple[list[str], dict[str, list[float]]]:
    """Days, and per campaign its spend on each day (0 where it spent nothing): for a chart."""
    days = sorted({row.day for row in rows})
    series: dict[str, list[float]] = {}
    for row in rows:
        label = f"{row.campaign} ({row.campaign_id})"
        values = series.setdefault(label, [0.0] * len(days))
        values[days.index(row.day)] = float(in_units(row.spent_micros))
    return [day.isoformat() for day in days], series
