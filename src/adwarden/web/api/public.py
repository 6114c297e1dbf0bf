"""The transparency center's API, open to anyone: the ads repository, the decisions database,
bulk exports, and the verifiable log with its signed tree heads and proofs.

Every answer is the same for every caller, so every answer may be cached.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from adwarden.domain.enums import DecisionStatus, GroundKind, Outcome, SubjectLevel
from adwarden.domain.errors import InvalidInputError, NotFoundError
from adwarden.enforcement.models import Decision
from adwarden.store.queries import get
from adwarden.transparency import ads as ad_repository
from adwarden.transparency import decisions as decision_database
from adwarden.transparency import keys, log
from adwarden.transparency.exports import (
    MEDIA_TYPES,
    Format,
    ad_json,
    decision_json,
    export_ads,
    export_decisions,
)
from adwarden.web.deps import MAX_ID, DbSession, IdPath, IsoDate, database
from adwarden.web.views import PUBLIC_CACHE

router = APIRouter(prefix="/public", tags=["public"])

T = TypeVar("T")

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"description": "No such record"}
}
INVALID: dict[int | str, dict[str, Any]] = {
    status.HTTP_422_UNPROCESSABLE_CONTENT: {"description": "A parameter is out of range"}
}

PublicOffset = Annotated[
    int, Query(ge=0, le=decision_database.SEARCH_DEPTH, description="results to skip")
]
PublicLimit = Annotated[int, Query(ge=1, le=100, description="results per page")]
Name = Annotated[str | None, Query(max_length=200, description="advertiser name, any script")]


class ResultPage(BaseModel):
    items: list[dict[str, Any]]
    total: int = Field(description="matches, counted up to total_cap")
    total_is_lower_bound: bool = Field(description="true when there are more than total_cap")
    total_cap: int = Field(description="offset + 100: matches are counted a little ahead")
    offset: int
    limit: int


def _cache(response: Response) -> None:
    response.headers["Cache-Control"] = PUBLIC_CACHE


def _page(found: decision_database.Page, items: list[dict[str, Any]]) -> ResultPage:
    return ResultPage(
        items=items,
        total=found.shown_total,
        total_is_lower_bound=found.more_than_cap,
        total_cap=found.cap,
        offset=found.offset,
        limit=found.limit,
    )


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json", headers={"Cache-Control": PUBLIC_CACHE})


def _spliced_page(found: decision_database.Page, items: list[bytes]) -> Response:
    """A `ResultPage` whose items are already JSON: spliced in, not parsed to be written again."""
    rest = _page(found, []).model_dump_json(exclude={"items"}).encode()
    return _json(b'{"items":[' + b",".join(items) + b"]," + rest[1:])


def _dates(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise InvalidInputError("since must not be after until", "since")


async def _in_one_hop(request: Request, work: Callable[[Session], T]) -> T:
    """`work(session)` in a worker thread, session and all: the hot public answers cross to
    one once, instead of once for the session, once for the handler and once to close. The
    transaction commits, though it only reads: a rollback makes psycopg drop the
    connection's prepared statements, and PostgreSQL would plan each query afresh. It reads
    only, so on SQLite it does not wait for a turn to write."""

    def run() -> T:
        with database(request).transaction(writes=False) as session:
            return work(session)

    return await run_in_threadpool(run)


@router.get("/ads", response_model=ResultPage, responses=INVALID)
async def search_ads(
    request: Request,
    offset: PublicOffset = 0,
    limit: PublicLimit = 25,
    advertiser: Name = None,
    text: Annotated[str | None, Query(max_length=200, description="words in the ad")] = None,
    country: Annotated[
        str | None, Query(pattern=r"^[A-Za-z]{2}$", description="ISO code it may be shown in")
    ] = None,
    since: Annotated[IsoDate | None, Query(description="shown on or after")] = None,
    until: Annotated[IsoDate | None, Query(description="shown on or before")] = None,
    ad_status: Annotated[ad_repository.AdStatus | None, Query(alias="status")] = None,
    sort: ad_repository.AdSort = ad_repository.AdSort.newest,
) -> Response:
    """Search the ads repository. Restricted ads are listed too, with the decision that
    restricted them; their content is withheld where its clause says so."""
    _dates(since, until)
    filters = ad_repository.AdFilters(advertiser, text, country, since, until, ad_status, sort)

    def answer(session: Session) -> Response:
        found = ad_repository.find(session, filters, offset=offset, limit=limit)
        return _spliced_page(found, ad_json(session, found.items))

    return await _in_one_hop(request, answer)


@router.get("/ads/{ad_id}", responses=NOT_FOUND)
def show_ad(session: DbSession, response: Response, ad_id: IdPath) -> dict[str, Any]:
    found = ad_repository.ad_by_id(session, ad_id)
    if found is None:
        raise NotFoundError("ad", ad_id)
    _cache(response)
    return found.as_json()


@router.get("/decisions", response_model=ResultPage, responses=INVALID)
async def search_decisions(
    request: Request,
    offset: PublicOffset = 0,
    limit: PublicLimit = 25,
    advertiser: Name = None,
    clause: Annotated[str | None, Query(pattern=r"^\d+(\.\d+)*$", max_length=20)] = None,
    outcome: Outcome | None = None,
    level: SubjectLevel | None = None,
    ground: GroundKind | None = None,
    automated: Annotated[bool | None, Query(description="decided without a person")] = None,
    decision_status: Annotated[DecisionStatus | None, Query(alias="status")] = None,
    since: Annotated[IsoDate | None, Query(description="decided on or after")] = None,
    until: Annotated[IsoDate | None, Query(description="decided on or before")] = None,
    order: Annotated[str, Query(pattern="^(newest|oldest)$")] = "newest",
) -> Response:
    """Search every published statement of reasons."""
    _dates(since, until)
    filters = decision_database.DecisionFilters(
        advertiser, clause, outcome, level, ground, automated, decision_status, since, until,
        newest_first=order == "newest",
    )  # fmt: skip

    def answer(session: Session) -> Response:
        found = decision_database.find(session, filters, offset=offset, limit=limit)
        return _spliced_page(found, decision_json(session, found.items))

    return await _in_one_hop(request, answer)


@router.get("/decisions/{decision_id}", response_model=dict[str, Any], responses=NOT_FOUND)
def show_decision(session: DbSession, decision_id: IdPath) -> Response:
    """One statement of reasons, with its appeals and its place in the log."""
    [found] = decision_json(session, [get(session, Decision, decision_id).id])
    return _json(found)


def _stream(request: Request, rows: Any, fmt: Format, name: str) -> StreamingResponse:
    extension = {Format.csv: "csv", Format.jsonl: "jsonl", Format.tdb: "tdb.jsonl"}[fmt]
    return StreamingResponse(
        rows,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Cache-Control": PUBLIC_CACHE,
            "Content-Disposition": f'attachment; filename="adwarden-{name}.{extension}"',
        },
    )


After = Annotated[int, Query(ge=0, le=MAX_ID, description="resume after this id")]
ExportLimit = Annotated[int | None, Query(ge=1, le=10_000_000, description="rows at most")]
EXPORT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}
}


@router.get("/exports/decisions.{fmt}", response_class=StreamingResponse, responses=EXPORT)
def export_decision_rows(
    request: Request, fmt: Format, after: After = 0, limit: ExportLimit = None
) -> StreamingResponse:
    """Every decision in id order: `csv`, `jsonl`, or `tdb` (DSA Transparency Database API
    v2 statements, one JSON object per line). Resume with `after` = the last id received."""
    rows = export_decisions(request.app.state.db, fmt, after=after, limit=limit)
    return _stream(request, rows, fmt, "decisions")


@router.get("/exports/ads.{fmt}", response_class=StreamingResponse, responses={**EXPORT, **INVALID})
def export_ad_rows(
    request: Request, fmt: Format, after: After = 0, limit: ExportLimit = None
) -> StreamingResponse:
    """Every listed ad in id order, as `csv` or `jsonl`. Resume with `after`."""
    if fmt is Format.tdb:
        raise InvalidInputError("the tdb format holds decisions; ads come as csv or jsonl", "fmt")
    rows = export_ads(request.app.state.db, fmt, after=after, limit=limit)
    return _stream(request, rows, fmt, "ads")


class LogKeyOut(BaseModel):
    algorithm: str = "Ed25519"
    public_key: str = Field(description="the raw 32-byte public key, base64")
    key_id: str = Field(description="SHA-256 of the key's DER SubjectPublicKeyInfo, hex")


class TreeHeadOut(BaseModel):
    tree_size: int
    timestamp: int = Field(description="milliseconds since the epoch")
    root_hash: str = Field(description="hex")
    signature: str = Field(
        description="Ed25519 over RFC 6962's TreeHeadSignature (v1, tree_hash, timestamp, "
        "tree_size, root_hash), base64"
    )
    key_id: str


class EntryOut(BaseModel):
    index: int
    kind: str
    subject_id: int
    data: str = Field(description="the leaf data: canonical JSON; leaf hash = SHA-256(0x00 ‖ data)")
    leaf_hash: str
    logged_at: str


class InclusionOut(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str]


@router.get("/log/key", response_model=LogKeyOut)
def log_key(response: Response) -> LogKeyOut:
    """The key that signs the log's tree heads."""
    public = keys.public_key()
    _cache(response)
    return LogKeyOut(public_key=public.base64, key_id=public.key_id)


def _head_out(head: Any) -> TreeHeadOut:
    return TreeHeadOut(
        tree_size=head.tree_size,
        timestamp=head.timestamp_ms,
        root_hash=head.root_hash.hex(),
        signature=base64.b64encode(head.signature).decode(),
        key_id=head.key_id,
    )


@router.get("/log/tree-head", response_model=TreeHeadOut, responses=NOT_FOUND)
def latest_tree_head(session: DbSession, response: Response) -> TreeHeadOut:
    """The latest signed tree head (cached for seconds, not a minute: it moves)."""
    response.headers["Cache-Control"] = "public, max-age=5"
    return _head_out(log.latest_head(session))


@router.get("/log/tree-heads/{tree_size}", response_model=TreeHeadOut, responses=NOT_FOUND)
def tree_head_at(session: DbSession, response: Response, tree_size: IdPath) -> TreeHeadOut:
    """The tree head signed when the log reached `tree_size` entries."""
    _cache(response)
    return _head_out(log.head_at(session, tree_size))


@router.get("/log/entries", response_model=list[EntryOut], responses=INVALID)
def log_entries(
    session: DbSession,
    response: Response,
    start: Annotated[int, Query(ge=0, le=2**62)] = 0,
    end: Annotated[int | None, Query(ge=1, le=2**62, description="exclusive")] = None,
) -> list[EntryOut]:
    """Entries [start, end), at most 1,000 at a time."""
    stop = min(end if end is not None else start + 1_000, start + 1_000)
    if stop <= start:
        raise InvalidInputError("end must be above start", "end")
    _cache(response)
    return [
        EntryOut(
            index=entry.log_index,
            kind=entry.kind,
            subject_id=entry.subject_id,
            data=entry.payload,
            leaf_hash=entry.leaf_hash.hex(),
            logged_at=entry.logged_at.isoformat(),
        )
        for entry in log.entries(session, start, stop)
    ]


# The proofs are the log's hot path: an auditor asks for one per entry it checks. Each is one
# prepared query, answered in one hop to a worker thread (`_in_one_hop`).


@router.get("/log/proof/inclusion", response_model=InclusionOut, responses={**NOT_FOUND, **INVALID})
async def inclusion_proof(
    request: Request,
    response: Response,
    tree_size: Annotated[int, Query(ge=1, le=2**62)],
    index: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    leaf_hash: Annotated[str | None, Query(pattern="^[0-9a-fA-F]{64}$")] = None,
) -> InclusionOut:
    """The audit path of one entry, by its index or its leaf hash (RFC 9162 2.1.3)."""
    if (index is None) == (leaf_hash is None):
        raise InvalidInputError("give either index or leaf_hash", "index")

    def prove(session: Session) -> InclusionOut:
        found = index
        if found is None:
            assert leaf_hash is not None
            found = log.entry_by_hash(session, bytes.fromhex(leaf_hash)).log_index
        path, digest = log.inclusion_proof_and_leaf(session, found, tree_size)
        return InclusionOut(
            index=found,
            tree_size=tree_size,
            leaf_hash=digest.hex(),
            audit_path=[p.hex() for p in path],
        )

    proof = await _in_one_hop(request, prove)
    _cache(response)
    return proof


@router.get("/log/proof/consistency", response_model=ConsistencyOut, responses=INVALID)
async def consistency_proof(
    request: Request,
    response: Response,
    first: Annotated[int, Query(ge=1, le=2**62)],
    second: Annotated[int, Query(ge=1, le=2**62)],
) -> ConsistencyOut:
    """That the log of `second` entries extends the log of `first` (RFC 9162 2.1.4)."""

    proof = await _in_one_hop(
        request, lambda session: log.consistency_proof(session, first, second)
    )
    _cache(response)
    return ConsistencyOut(first=first, second=second, proof=[p.hex() for p in proof])
