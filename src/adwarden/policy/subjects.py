"""The facts of one subject, as the policy's conditions read them, and the evidence behind each.

Facts come from the registry, the campaigns and the screening hits; each
builder returns the values (`facts`) and, per fact, the records that make it
true (`evidence`): hits with their list entry and explanation, text spans the
classifier matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from adwarden.domain.enums import HitStatus, ListKind, SubjectLevel
from adwarden.lists.models import ListEntryRecord, WatchList
from adwarden.policy.classify import Classifier
from adwarden.registry.models import Account, Advertiser, AdvertiserName, AdvertiserPerson, Person
from adwarden.screening.models import ScreeningHit
from adwarden.serving.models import Campaign, PromotedPost
from adwarden.store.base import utcnow
from adwarden.store.queries import get


@dataclass(frozen=True)
class SubjectFacts:
    level: SubjectLevel
    subject_id: int
    label: str  # how a person reading a decision knows the subject
    facts: dict[str, Any]
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _by_kind() -> dict[str, list[str]]:
    return {kind.value: [] for kind in ListKind}


def _hits(
    session: Session, subject_type: str, subject_ids: list[int], statuses: set[HitStatus]
) -> list[tuple[ScreeningHit, WatchList, ListEntryRecord | None]]:
    if not subject_ids:
        return []
    # the entry as the list version that produced the hit published it
    entry_then = and_(
        ListEntryRecord.list_id == ScreeningHit.list_id,
        ListEntryRecord.entry_id == ScreeningHit.entry_id,
        ListEntryRecord.added_in <= ScreeningHit.list_version,
        or_(
            ListEntryRecord.removed_in.is_(None),
            ListEntryRecord.removed_in > ScreeningHit.list_version,
        ),
    )
    rows = session.execute(
        select(ScreeningHit, WatchList, ListEntryRecord)
        .join(WatchList, WatchList.id == ScreeningHit.list_id)
        .outerjoin(ListEntryRecord, entry_then)
        .where(
            ScreeningHit.subject_type == subject_type,
            ScreeningHit.subject_id.in_(subject_ids),
            ScreeningHit.status.in_(statuses),
        )
        .order_by(ScreeningHit.id)
    )
    return [(hit, watch_list, entry) for hit, watch_list, entry in rows]


def hit_evidence(
    hit: ScreeningHit, watch_list: WatchList, entry: ListEntryRecord | None
) -> dict[str, Any]:
    """A hit as evidence: the match, and what the list itself says about the entry."""
    return {
        "hit_id": hit.id,
        "list": watch_list.slug,
        "list_kind": watch_list.kind.value,
        "list_version": hit.list_version,
        "entry_id": hit.entry_id,
        "entry_name": hit.entry_name,
        "subject_type": hit.subject_type,
        "subject_name": hit.subject_name,
        "score": hit.score,
        "status": hit.status.value,
        "explanation": hit.explanation,
        "programs": list(entry.programs) if entry else [],
        "listed_on": entry.listed_on if entry else None,
        "source_url": entry.source_url if entry else None,
        "notes": entry.notes if entry else None,
    }


def _hit_facts(
    session: Session, subject_type: str, subject_ids: list[int], statuses: set[HitStatus]
) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    kinds = _by_kind()
    evidence = []
    for hit, watch_list, entry in _hits(session, subject_type, subject_ids, statuses):
        kinds[watch_list.kind.value].append(hit.entry_id)
        evidence.append(hit_evidence(hit, watch_list, entry))
    return kinds, evidence


def advertiser_facts(session: Session, advertiser_id: int) -> SubjectFacts:
    advertiser = get(session, Advertiser, advertiser_id)
    names = session.scalars(
        select(AdvertiserName.name)
        .where(AdvertiserName.advertiser_id == advertiser.id)
        .order_by(AdvertiserName.id)
    ).all()
    links = session.execute(
        select(AdvertiserPerson, Person)
        .join(Person, Person.id == AdvertiserPerson.person_id)
        .where(AdvertiserPerson.advertiser_id == advertiser.id)
        .order_by(AdvertiserPerson.id)
    )
    owners = []
    people: list[int] = []
    for link, person in links:
        owners.append(
            {"name": person.name, "role": link.role.value, "country": person.country or ""}
        )
        people.append(person.id)
    confirmed, confirmed_evidence = _hit_facts(
        session, "advertiser", [advertiser.id], {HitStatus.confirmed}
    )
    unreviewed, open_evidence = _hit_facts(session, "advertiser", [advertiser.id], {HitStatus.open})
    people_hits, people_evidence = _hit_facts(
        session, "person", people, {HitStatus.open, HitStatus.confirmed}
    )
    facts = {
        "names": list(dict.fromkeys([advertiser.name, *names])),
        "kind": advertiser.kind.value,
        "country": advertiser.country or "",
        "industry": advertiser.industry or "",
        "state_controlled": bool(confirmed[ListKind.state_media.value]),
        "owners": owners,
        "hits": confirmed,
        "open_hits": unreviewed,
        "people_hits": people_hits,
    }
    state_media = [e for e in confirmed_evidence if e["list_kind"] == ListKind.state_media.value]
    evidence = {
        "hits": confirmed_evidence,
        "open_hits": open_evidence,
        "people_hits": people_evidence,
        "state_controlled": state_media,
    }
    return SubjectFacts(SubjectLevel.advertiser, advertiser.id, advertiser.name, facts, evidence)


def value_words(value: Any) -> str:
    """A fact's value as a reader takes it in: words quoted, lists as quoted items."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(f"“{item}”" for item in value) if value else "none"
    return f"“{value}”" if isinstance(value, str) else str(value)


def _as_recorded(whose: str, facts: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Facts that are the record itself (a campaign's keywords, an account's name): their
    evidence is the record as the advertiser or staff entered it, quoted."""
    return {
        name: [{"description": f"{whose} {name} as recorded: {value_words(facts[name])}"}]
        for name in names
    }


def _age_days(opened: datetime | None, created: datetime, now: datetime) -> int:
    return max((now - (opened or created)).days, 0)


def account_facts(session: Session, account_id: int, now: datetime | None = None) -> SubjectFacts:
    account = get(session, Account, account_id)
    confirmed, confirmed_evidence = _hit_facts(
        session, "account", [account.id], {HitStatus.confirmed}
    )
    unreviewed, open_evidence = _hit_facts(session, "account", [account.id], {HitStatus.open})
    facts = {
        "handle": account.handle,
        "display_name": account.display_name,
        "owned": account.advertiser_id is not None,
        "owner_id": account.advertiser_id or 0,
        "age_days": _age_days(account.opened_at, account.created_at, now or utcnow()),
        "hits": confirmed,
        "open_hits": unreviewed,
    }
    label = f"@{account.handle}"
    evidence = {
        "hits": confirmed_evidence,
        "open_hits": open_evidence,
        **_as_recorded(f"account {label}'s", facts, ("handle", "display_name", "age_days")),
    }
    return SubjectFacts(SubjectLevel.account, account.id, label, facts, evidence)


def campaign_facts(session: Session, campaign_id: int) -> SubjectFacts:
    campaign = get(session, Campaign, campaign_id)
    advertiser = get(session, Advertiser, campaign.advertiser_id)
    facts = {
        "name": campaign.name,
        "keywords": list(campaign.keywords),
        "countries": list(campaign.countries),
        "advertiser_country": advertiser.country or "",
    }
    evidence = _as_recorded(
        f"campaign “{campaign.name}”'s",
        facts,
        ("name", "keywords", "countries", "advertiser_country"),
    )
    return SubjectFacts(SubjectLevel.campaign, campaign.id, campaign.name, facts, evidence)


def post_facts(
    session: Session, post_id: int, classifier: Classifier, now: datetime | None = None
) -> SubjectFacts:
    post = get(session, PromotedPost, post_id)
    account = get(session, Account, post.account_id)
    campaign = get(session, Campaign, post.campaign_id)
    advertiser = get(session, Advertiser, campaign.advertiser_id)
    domain = (urlsplit(post.landing_url).hostname or "") if post.landing_url else ""
    found = classifier.classify(post.text, domain)
    facts = {
        "text": post.text,
        "landing_domain": domain,
        "categories": sorted({item.category for item in found}),
        "account_age_days": _age_days(account.opened_at, account.created_at, now or utcnow()),
        "advertiser_country": advertiser.country or "",
    }
    evidence = {
        "categories": [
            {
                "category": item.category,
                "rule": item.rule,
                "matched": item.matched,
                "start": item.start,
                "end": item.end,
                "description": item.describe(post.text),
            }
            for item in found
        ]
    }
    label = f"promoted post {post.id} from @{account.handle}"
    return SubjectFacts(SubjectLevel.post, post.id, label, facts, evidence)
