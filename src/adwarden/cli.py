"""The `adwarden` command: set up a database, build the demo, serve the site, manage users,
lists, screening, the policy, decisions and appeals."""

from __future__ import annotations

import json
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from typer.core import TyperGroup

import adwarden.models  # noqa: F401  (every table and the audit guard)
from adwarden import settings
from adwarden.appeals.metrics import appeal_metrics
from adwarden.appeals.services import escalate_overdue, queue_query
from adwarden.auth.services import actor_for, create_user, user_by_email
from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import AppealStatus, ListFormat, ListKind, Role
from adwarden.domain.errors import AdwardenError
from adwarden.enforcement.consistency import consistency
from adwarden.enforcement.due import due_reviews, run_due
from adwarden.enforcement.models import Decision
from adwarden.enforcement.services import notice_of, published, statement_for
from adwarden.lists.services import (
    ImportResult,
    VersionSummary,
    list_summaries,
    version_diff,
)
from adwarden.policy.loader import Policy, load_policy
from adwarden.policy.services import policy_of, publish_policy, version_by_number
from adwarden.policy.services import versions as policy_versions
from adwarden.policy.subjects import advertiser_facts
from adwarden.policy.whatif import what_if
from adwarden.scenario.loader import build_scenario, read_scenario
from adwarden.screening.batch import entity_type as batch_entity_type
from adwarden.screening.batch import match_record, read_batch, read_pairs, score_pairs, screen_batch
from adwarden.screening.index import ScreeningIndex, index_for, list_keys
from adwarden.screening.matcher import Query
from adwarden.screening.normalize import warm_up
from adwarden.screening.scoring import DEFAULT_THRESHOLD
from adwarden.screening.services import import_and_screen
from adwarden.serving.ledger import delivery_check, rebuild_check
from adwarden.serving.models import LedgerEvent
from adwarden.store.base import utcnow
from adwarden.store.engine import Database, DatabaseURLError, normalise_url
from adwarden.store.migrate import upgrade
from adwarden.store.queries import get
from adwarden.transparency.backfill import log_earlier_appeals
from adwarden.transparency.check import check_log
from adwarden.transparency.exports import (
    refresh_ads,
    refresh_decisions,
    stale_ads,
    stale_decisions,
)
from adwarden.transparency.keys import LogKeyError, init_key
from adwarden.transparency.keys import public_key as log_public_key
from adwarden.transparency.log import size_of
from adwarden.transparency.verify import VerifyError, verify

app = typer.Typer(no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)
users = typer.Typer(no_args_is_help=True, help="Manage users.")
app.add_typer(users, name="users")
lists = typer.Typer(no_args_is_help=True, help="Import and show watch lists.")
app.add_typer(lists, name="lists")

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "2018"


class State:
    url: str = settings.DEFAULT_DATABASE_URL


state = State()


def fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


@app.callback()
def main(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="ADWARDEN_DATABASE_URL",
            help="database URL: sqlite:///FILE or postgresql://...",
            show_default=settings.DEFAULT_DATABASE_URL,
        ),
    ] = None,
) -> None:
    try:
        state.url = normalise_url(db or settings.DEFAULT_DATABASE_URL)
    except DatabaseURLError as exc:
        raise fail(str(exc)) from None


@contextmanager
def _opened(*, schema: bool = True) -> Iterator[Database]:
    """The command's database; a service's error becomes its message and exit code 2."""
    database = Database(state.url)
    try:
        if schema and not _has_schema(database):
            raise fail("the database has no schema yet: run `adwarden init-db`")
        yield database
    except AdwardenError as exc:
        raise fail(str(exc)) from None
    finally:
        database.dispose()


def _has_schema(database: Database) -> bool:
    return bool(inspect(database.engine).get_table_names())


@app.command("init-db")
def init_db() -> None:
    """Create or upgrade the schema to the newest migration, and log the appeals an older
    version published without logging them."""
    upgrade(state.url)
    with _opened() as database, database.transaction() as session:
        try:
            logged = log_earlier_appeals(session)
        except LogKeyError as exc:
            raise fail(str(exc)) from None
    if logged:
        typer.echo(f"logged {logged} entries of appeals published before appeals were logged")
    typer.echo(f"database ready: {make_url(state.url).render_as_string(hide_password=True)}")


def _replace_sqlite_file(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise fail(
            "--replace only rebuilds SQLite files; give an empty PostgreSQL database instead"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(parsed.database + suffix).unlink(missing_ok=True)


@app.command()
def demo(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="serve after building")] = True,
    replace: Annotated[
        bool, typer.Option("--replace", help="rebuild an existing SQLite demo file from scratch")
    ] = False,
    scenario: Annotated[Path, typer.Option(help="scenario folder")] = DEFAULT_SCENARIO,
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve on")] = 8000,
) -> None:
    """Build the demo database from a scenario folder, print the logins, and serve the site."""
    try:
        loaded = read_scenario(scenario)
    except AdwardenError as exc:
        raise fail(str(exc)) from None
    if replace:
        _replace_sqlite_file(state.url)
    database = Database(state.url)
    try:
        if _has_schema(database):
            raise fail("the database is not empty: use --replace (SQLite) or a fresh database")
        _ensure_log_key()
        upgrade(state.url)
        with database.transaction() as session:
            built = build_scenario(session, loaded)
    finally:
        database.dispose()
    typer.echo(
        f"built {loaded.meta.title}: {len(built.advertisers)} advertisers, "
        f"{len(built.people)} people, {len(built.accounts)} accounts"
    )
    typer.echo("\nDemo logins (passwords are new on every build):")
    for email, role, password, advertiser in built.logins:
        suffix = f"  advertiser {advertiser}" if advertiser else ""
        typer.echo(f"  {role.value:<13} {email:<52} {password}{suffix}")
    if serve:
        _serve(host, port, demo=True)


def _ensure_log_key() -> None:
    """The demo signs its log with the configured key, made on its first build."""
    if not settings.log_key_path().exists():
        path, public = init_key()
        typer.echo(f"made a log signing key at {path} (key id {public.key_id[:16]}…)")


class _QuietServer(uvicorn.Server):
    """Stops gracefully on SIGINT or SIGTERM and then returns, where uvicorn would raise the
    signal again and end the process before it could stop the other serving processes."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        def stop(_signum: int, _frame: object) -> None:
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _serve_process(url: str, host: str, port: int, ready: Any) -> None:
    """One more serving process on the same port; the kernel spreads connections over all.
    Says on `ready` (a multiprocessing queue) when it listens."""
    parent = os.getppid()
    from adwarden.web.app import create_app
    from adwarden.web.sockets import tcp_listener

    server = uvicorn.Server(uvicorn.Config(create_app(Database(url)), log_level="warning"))

    def follow_parent() -> None:
        # the first process may end by a signal, with no chance to stop us: end with it
        while os.getppid() == parent:
            time.sleep(0.5)
        if not server.started:
            os._exit(0)
        server.should_exit = True

    threading.Thread(target=follow_parent, daemon=True).start()
    # warm first: from listen() on, the kernel hands this process its share of connections
    warm_up()
    sock = tcp_listener(host, port, share_port=True)
    sock.listen(128)
    ready.put(os.getpid())
    server.run(sockets=[sock])


def _await_ready(others: list[Any], ready: Any, timeout: float = 300.0) -> None:
    """Until every other serving process listens: a connection made before would all go to
    those already listening, and a client that keeps its connection stays there."""
    deadline = time.monotonic() + timeout
    waiting = len(others)
    while waiting:
        try:
            ready.get(timeout=0.5)
            waiting -= 1
        except queue.Empty:
            ended = [process.exitcode for process in others if not process.is_alive()]
            if ended:
                message = f"a serving process ended before it was ready (exit code {ended[0]})"
                raise fail(message) from None
            if time.monotonic() > deadline:
                raise fail(f"the serving processes were not ready in {timeout:.0f} s") from None


def _serve(host: str, port: int, processes: int = 1, *, demo: bool = False) -> None:
    import multiprocessing

    from adwarden.web.app import create_app
    from adwarden.web.sockets import tcp_listener

    database = Database(state.url)
    if not _has_schema(database):
        raise fail("the database has no schema yet: run `adwarden init-db` or `adwarden demo`")
    if processes > 1 and database.engine.dialect.name != "postgresql":
        raise fail(
            "--processes above 1 needs PostgreSQL: serving processes learn of decisions "
            "through its LISTEN/NOTIFY, and SQLite has no way to tell them"
        )
    try:  # decisions cannot be published without it: say so now, not at the first decision
        log_public_key()
    except LogKeyError as exc:
        raise fail(str(exc)) from None
    # Bind before announcing, so the printed URL already accepts connections
    # (and --port 0 prints the port the system chose).
    try:
        sock = tcp_listener(host, port, share_port=processes > 1)
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    bound = sock.getsockname()[1]
    spawn = multiprocessing.get_context("spawn")  # never fork a process that runs threads
    ready = spawn.Queue()
    others = [
        spawn.Process(target=_serve_process, args=(state.url, host, bound, ready), daemon=True)
        for _ in range(processes - 1)
    ]
    for process in others:
        process.start()
    try:
        # rigour loads its name data on first use, for seconds: before serving, not in a
        # request; every process at once, each before it listens
        warm_up()
        sock.listen(128)
        _await_ready(others, ready)
    except BaseException:
        for process in others:
            process.terminate()
        raise
    base = f"http://{host}:{bound}"
    many = f", {processes} processes" if processes > 1 else ""
    typer.echo(f"\nadwarden is serving on {base}/  (API docs: {base}/api/v1/docs{many})")
    if demo:
        typer.echo(
            f"The transparency center: {base}/decisions (search “Касперский”), {base}/ads, "
            f"{base}/reports, {base}/data\n"
            f"Verify its log from outside: .venv/bin/adwarden log verify {base}"
        )
    sys.stdout.flush()
    try:
        config = uvicorn.Config(create_app(database), log_level="warning")
        server = _QuietServer(config) if others else uvicorn.Server(config)
        server.run(sockets=[sock])
    finally:
        for process in others:
            process.terminate()
        for process in others:
            process.join(timeout=10)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve on")] = 8000,
    processes: Annotated[
        int,
        typer.Option(min=1, max=64, help="serving processes on the one port (PostgreSQL only)"),
    ] = 1,
) -> None:
    """Serve the web site and the JSON API."""
    _serve(host, port, processes)


@users.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="sign-in email")],
    role: Annotated[Role, typer.Option(help="advertiser, reviewer, policy_admin or admin")],
    name: Annotated[str | None, typer.Option(help="display name (default: the email)")] = None,
    advertiser: Annotated[
        int | None, typer.Option(help="advertiser id, for role advertiser only")
    ] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="ADWARDEN_NEW_PASSWORD",
            help="asked for when not given; at least 12 characters",
        ),
    ] = "",
) -> None:
    """Create a staff or advertiser user."""
    with _opened(schema=False) as database, database.transaction() as session:
        user = create_user(
            session,
            Actor.system(Source.cli),
            email=email,
            name=name or email,
            role=role,
            password=password,
            advertiser_id=advertiser,
        )
        typer.echo(f"created user {user.id}: {user.email} ({user.role.value})")


# Diff ids are printed in full only when there are this few; a first import adds them all.
_FEW_IDS = 50


def _print_ids(result: ImportResult, limit: int) -> None:
    for label, ids in (
        ("added", result.added),
        ("removed", result.removed),
        ("changed", result.changed),
    ):
        if not ids:
            continue
        shown = ", ".join(ids[:limit])
        more = f" ... and {len(ids) - limit} more" if len(ids) > limit else ""
        typer.echo(f"  {label}: {shown}{more}")


def _diff_counts(version: VersionSummary) -> str:
    return f"+{version.added} -{version.removed} ~{version.changed}"


@lists.command("import")
def lists_import(
    path: Annotated[Path, typer.Argument(help="the list file, or folder for ofac-csv")],
    fmt: Annotated[ListFormat, typer.Option("--format", help="the file's format")],
    list_id: Annotated[str, typer.Option("--list", help="the list's id, e.g. ofac-sdn")],
    kind: Annotated[ListKind, typer.Option(help="what the list is")],
) -> None:
    """Import a list file as the list's next version (the list is created on first import)."""
    with _opened() as database, database.transaction() as session:
        result, hits = import_and_screen(
            session, Actor.system(Source.cli), path, fmt, list_id, kind
        )
    version = result.version
    typer.echo(
        f"{version.slug} v{version.number}: {version.entry_count} entries, "
        f"{_diff_counts(version)}, sha256 {version.content_hash}"
    )
    if len(result.added) + len(result.removed) + len(result.changed) <= _FEW_IDS:
        _print_ids(result, _FEW_IDS)
    typer.echo(f"screening: {hits} hits opened, changed or closed")


@lists.command("show")
def lists_show(
    list_id: Annotated[
        str | None, typer.Argument(help="one list's id; all lists if left out")
    ] = None,
) -> None:
    """Show lists and their versions; for one list, also what its newest version changed."""
    with _opened() as database, database.sessions() as session:
        summaries = list_summaries(session, list_id)
        newest = summaries[0].latest if list_id is not None and summaries else None
        diff = version_diff(session, newest.slug, newest.number) if newest else None
    if not summaries:
        typer.echo("no lists yet: add one with `adwarden lists import`")
        return
    width = max(len("LIST"), *(len(s.slug) for s in summaries))
    typer.echo(f"{'LIST':<{width}}  {'KIND':<11}  VERSIONS")
    for summary in summaries:
        typer.echo(f"{summary.slug:<{width}}  {summary.kind.value:<11}  {len(summary.versions)}")
        for version in summary.versions:
            typer.echo(
                f"  v{version.number:<3} {version.created_at:%Y-%m-%d %H:%M}  "
                f"{version.format.value:<8}  {version.entry_count:>7} entries  "
                f"{_diff_counts(version):<18}  sha256 {version.content_hash[:12]}"
            )
    if diff is not None:
        typer.echo(f"\nv{diff.version.number} against the version before:")
        _print_ids(diff, _FEW_IDS)
        if not (diff.added or diff.removed or diff.changed):
            typer.echo("  no changes")


class _ScreenGroup(TyperGroup):
    """`adwarden screen NAME` beside `adwarden screen batch ...`: a first word that is
    not a subcommand is the name to screen."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in {"--help", "-h"}:
            args = ["name", *args]
        return super().parse_args(ctx, args)


screen = typer.Typer(
    cls=_ScreenGroup,
    no_args_is_help=True,
    help="Screen names against the lists: `adwarden screen NAME`, `screen batch`, `screen pairs`.",
)
app.add_typer(screen, name="screen")


def _screening_index(database: Database) -> ScreeningIndex:
    with database.sessions() as session:
        index = index_for(session)
    if not index.refs:
        raise fail("no list entries to screen against: add a list with `adwarden lists import`")
    return index


@screen.command("name", hidden=True)
def screen_name(
    name: Annotated[str, typer.Argument(help="the name to screen, in any script")],
    entity: Annotated[
        str, typer.Option("--type", help="person or organization; either if left out")
    ] = "",
    country: Annotated[str | None, typer.Option(help="ISO 3166 country code")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Screen one name against every list."""
    with _opened() as database:
        kind = batch_entity_type(entity, "--type")
        if country is not None and (len(country) != 2 or not country.isalpha()):
            raise fail(f"--country {country!r} is not an ISO 3166 code such as RU")
        index = _screening_index(database)
        matches = index.matcher.match(Query(name, kind, country.upper() if country else None))
    if as_json:
        typer.echo(
            json.dumps(
                {"name": name, "matches": [match_record(m) for m in matches]}, ensure_ascii=False
            )
        )
        return
    if not matches:
        typer.echo(f"no match at or above {DEFAULT_THRESHOLD} for {name!r}")
        return
    for found in matches:
        typer.echo(f"{found.score:.2f}  {found.list_id} {found.entry_id}  {found.name}")
        typer.echo(f"      {found.explanation}")


@screen.command("batch")
def screen_batch_command(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT.csv", help="id,name,type[,country][,birth_date]")
    ],
    output: Annotated[Path, typer.Option("--output", help="where to write JSON lines")],
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="lowest score reported")
    ] = DEFAULT_THRESHOLD,
    lists_option: Annotated[
        str | None, typer.Option("--lists", help="comma-separated list ids; all if left out")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="processes to screen with")] = os.cpu_count()
    or 1,
    strict: Annotated[
        bool, typer.Option("--strict", help="exit 1 if any row could not be screened")
    ] = False,
) -> None:
    """Screen every row of a CSV file; one JSON line per row, in input order.

    A row without an id or a name is written as {"id", "error"}; a country or
    date that cannot be read is left out and named under "warnings".
    """
    with _opened() as database:
        rows = read_batch(input_path)
        index = _screening_index(database)
        with database.sessions() as session:
            known = set(list_keys(session))
        chosen = None
        if lists_option is not None:
            chosen = [item.strip() for item in lists_option.split(",") if item.strip()]
            unknown = sorted(set(chosen) - known)
            if unknown:
                raise fail(
                    f"--lists: no list {', '.join(unknown)} (known: {', '.join(sorted(known))})"
                )
    try:
        handle = output.open("w", encoding="utf-8")
    except OSError as exc:
        raise fail(f"{output}: cannot write: {exc.strerror}") from None
    with handle, Progress(
        TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), disable=not sys.stderr.isatty(),
    ) as progress:  # fmt: skip
        task = progress.add_task("screening", total=len(rows))
        results = screen_batch(
            index.matcher,
            rows,
            threshold=threshold,
            lists=chosen,
            workers=workers,
            progress=lambda done: progress.advance(task, done),
        )
        matched = warned = failed = 0
        for result in results:
            matched += bool(result.get("matches"))
            warned += len(result.get("warnings", ()))
            failed += "error" in result
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")
    typer.echo(
        f"{len(rows)} rows: {matched} with matches, {warned} warnings, "
        f"{failed} errors (not screened); written to {output}",
        err=True,
    )
    if strict and failed:
        raise typer.Exit(code=1)


@screen.command("pairs")
def screen_pairs_command(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT.csv", help="id,name1,name2[,schema]")
    ],
    output: Annotated[Path, typer.Option("--output", help="where to write JSON lines")],
) -> None:
    """Score pairs of names against each other; one JSON line per row."""
    try:
        rows = read_pairs(input_path)
        handle = output.open("w", encoding="utf-8")
    except AdwardenError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{output}: cannot write: {exc.strerror}") from None
    with handle:
        for result in score_pairs(rows):
            handle.write(json.dumps(result) + "\n")
    typer.echo(f"{len(rows)} pairs scored, written to {output}", err=True)


policy = typer.Typer(no_args_is_help=True, help="Check, publish and show the written ads policy.")
app.add_typer(policy, name="policy")
DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "policies" / "ads-policy.yaml"


def _print_policy(loaded: Policy) -> None:
    for item in loaded.clauses:
        clause = item.clause
        mode = "automatic" if clause.automatic else "human decides"
        typer.echo(
            f"  {clause.id:<6} {clause.level.value:<10} {clause.outcome.value:<18} "
            f"{clause.ground.kind.value:<5}  {mode:<13}  {clause.title}"
        )


@policy.command("check")
def policy_check(
    path: Annotated[
        Path, typer.Argument(help="a policy file, or a folder of them")
    ] = DEFAULT_POLICY,
) -> None:
    """Validate a policy without publishing it: every problem, with its file and clause."""
    try:
        loaded = load_policy(path)
    except AdwardenError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{loaded.title}: {len(loaded.clauses)} clauses, sha256 {loaded.content_hash}")
    _print_policy(loaded)


@policy.command("publish")
def policy_publish(
    path: Annotated[Path, typer.Argument(help="a policy file, or a folder of them")],
    changelog: Annotated[str, typer.Option(help="what changed and why")],
    by: Annotated[str, typer.Option("--by", help="the e-mail of the policy_admin publishing it")],
) -> None:
    """Publish a policy as the next version; it is kept forever."""
    with _opened() as database, database.transaction() as session:
        loaded = load_policy(path)
        actor = actor_for(user_by_email(session, by), Source.cli)
        version = publish_policy(session, actor, loaded, changelog)
        typer.echo(
            f"published policy v{version.number}: {len(loaded.clauses)} clauses, "
            f"sha256 {version.content_hash}"
        )


@policy.command("show")
def policy_show(
    number: Annotated[int | None, typer.Option("--version", help="a version number")] = None,
) -> None:
    """The current policy version (or another), its clauses, and every version's changelog."""
    with _opened() as database, database.sessions() as session:
        history = list(policy_versions(session))
        if not history:
            raise fail("no policy published yet: run `adwarden policy publish`")
        chosen = version_by_number(session, number) if number is not None else history[0]
        loaded = policy_of(chosen)
        typer.echo(f"v{chosen.number} {loaded.title}, sha256 {chosen.content_hash}")
        _print_policy(loaded)
        typer.echo("\nversions:")
        for version in history:
            typer.echo(f"  v{version.number}  {version.created_at:%Y-%m-%d}  {version.changelog}")


decisions_app = typer.Typer(no_args_is_help=True, help="Inspect decisions and their reasons.")
app.add_typer(decisions_app, name="decisions")


def _decision_record(session: Session, decision: Decision) -> dict[str, Any]:
    names = advertiser_facts(session, decision.advertiser_id).facts["names"]
    return {
        "id": decision.id,
        "subject": {
            "level": decision.level.value,
            "id": decision.subject_id,
            "label": decision.subject_label,
        },
        "advertiser": {"id": decision.advertiser_id, "names": names},
        "outcome": decision.outcome.value,
        "clause": decision.clause_id,
        "policy_hash": decision.policy_hash,
        "status": decision.status.value,
        "decided_by": decision.decided_by_label,
        "automated_detection": decision.automated_detection,
        "automated_decision": decision.automated_decision,
        "starts_at": decision.starts_at.isoformat(),
        "ends_at": decision.ends_at.isoformat() if decision.ends_at else None,
    }


@decisions_app.command("list")
def decisions_list(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """Every decision, newest first: subject, level, outcome, clause, status, who, when."""
    with _opened() as database, database.sessions() as session:
        rows = session.scalars(select(Decision).order_by(Decision.id.desc())).all()
        records = [_decision_record(session, decision) for decision in rows]
    if as_json:
        typer.echo(json.dumps({"decisions": records}, ensure_ascii=False, indent=2))
        return
    for item in records:
        typer.echo(
            f"{item['id']:>5}  {item['status']:<10} {item['subject']['level']:<10} "
            f"{item['outcome']:<18} clause {item['clause']:<6} {item['starts_at'][:10]}  "
            f"{item['subject']['label']}  ({item['decided_by']})"
        )


@decisions_app.command("show")
def decisions_show(
    decision_id: Annotated[int, typer.Argument(help="the decision's id")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """The full statement of reasons and the notice text of one decision."""
    with _opened() as database, database.sessions() as session:
        decision = get(session, Decision, decision_id)
        record = _decision_record(session, decision)
        record["facts"] = decision.facts
        record["facts_summary"] = decision.facts_summary
        record["evidence"] = decision.evidence
        record["statement_of_reasons"] = statement_for(session, decision)
        record["notice"] = notice_of(session, decision.id).body_text
    if as_json:
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2, default=str))
        return
    typer.echo(record["notice"])
    typer.echo("Statement of reasons (DSA Transparency Database v2 fields):")
    for key, value in record["statement_of_reasons"].items():
        typer.echo(f"  {key}: {value}")


@policy.command("whatif")
def policy_whatif(
    path: Annotated[Path, typer.Argument(help="the proposed policy: a file or a folder")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """Who the proposed policy would treat differently from the published one. Changes nothing."""
    with _opened() as database, database.sessions() as session:
        _, current = published(session)
        changes = what_if(session, current, load_policy(path))
    if as_json:
        typer.echo(
            json.dumps({"changes": [asdict(c) for c in changes]}, ensure_ascii=False, indent=2)
        )
        return
    if not changes:
        typer.echo("no subject's outcome would change")
    for change in changes:
        typer.echo(
            f"{change.level.value} {change.subject_id} {change.subject}: "
            f"{change.before} -> {change.after}  ({change.why})"
        )


audit_app = typer.Typer(no_args_is_help=True, help="Check that like cases are treated alike.")
app.add_typer(audit_app, name="audit")


@audit_app.command("consistency")
def audit_consistency(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """Groups of subjects that trigger the same clause on the same list but stand differently."""
    with _opened() as database, database.sessions() as session:
        _, current = published(session)
        found = consistency(session, current)
    if as_json:
        typer.echo(json.dumps({"groups": [asdict(g) for g in found]}, ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo("consistent: every group of like cases stands alike")
    for group in found:
        typer.echo(f"clause {group.clause_id} on {group.trigger}:")
        for member in group.members:
            typer.echo(
                f"  {member.level.value} {member.subject_id} {member.subject}: {member.standing}"
            )


enforcement_app = typer.Typer(no_args_is_help=True, help="Enforcement upkeep, for cron.")
app.add_typer(enforcement_app, name="enforcement")


@enforcement_app.command("due")
def enforcement_due(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list what is due; open no tasks")
    ] = False,
    as_of: Annotated[
        datetime | None,
        typer.Option(help="as if it were this UTC date or time (to see what comes due)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """Decisions due for their clause's periodic re-review: list them and open a re-review
    task for each (run it from cron)."""
    now = as_of.replace(tzinfo=UTC) if as_of is not None else utcnow()
    with _opened() as database, database.transaction() as session:
        due = due_reviews(session, now)
        tasks = {} if dry_run else run_due(session, Actor.system(Source.cli), due)
        records: list[dict[str, Any]] = [
            {
                "decision": item.decision_id,
                "subject": item.subject,
                "clause": item.clause_id,
                "every_days": item.every_days,
                "since": item.since.isoformat(),
                "due_at": item.due_at.isoformat(),
                "task": tasks[item.decision_id].id if item.decision_id in tasks else None,
            }
            for item in due
        ]
    if as_json:
        typer.echo(json.dumps({"due": records}, ensure_ascii=False, indent=2))
        return
    if not records:
        typer.echo("nothing is due for re-review")
    for record_ in records:
        opened = f"  -> review task {record_['task']}" if record_["task"] else ""
        typer.echo(
            f"decision {record_['decision']:<6} clause {record_['clause']:<6} due "
            f"{record_['due_at'][:10]} (every {record_['every_days']} days)  "
            f"{record_['subject']}{opened}"
        )


appeals_app = typer.Typer(no_args_is_help=True, help="Appeals: the queue, escalation, figures.")
app.add_typer(appeals_app, name="appeals")


@appeals_app.command("list")
def appeals_list(
    all_: Annotated[bool, typer.Option("--all", help="decided appeals too")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """The appeals queue, earliest deadline first; overdue ones are marked."""
    now = utcnow()
    with _opened() as database, database.sessions() as session:
        rows = session.scalars(queue_query(open_only=not all_)).all()
        records: list[dict[str, Any]] = [
            {
                "id": appeal.id,
                "decision": appeal.decision_id,
                "clause": appeal.clause_id,
                "status": appeal.status.value,
                "filed_at": appeal.filed_at.isoformat(),
                "due_at": appeal.due_at.isoformat(),
                "overdue": appeal.status is AppealStatus.open and appeal.due_at < now,
                "escalated": appeal.escalated_at is not None,
                "assigned_to": appeal.assigned_to,
                "outcome": appeal.outcome.value if appeal.outcome else None,
            }
            for appeal in rows
        ]
    if as_json:
        typer.echo(json.dumps({"appeals": records}, ensure_ascii=False, indent=2))
        return
    if not records:
        typer.echo("no appeals" if all_ else "no open appeals")
    for item in records:
        late = "  OVERDUE" if item["overdue"] else ""
        typer.echo(
            f"{item['id']:>5}  {item['status']:<8} decision {item['decision']:<6} clause "
            f"{item['clause']:<6} due {item['due_at'][:16]}{late}"
        )


@appeals_app.command("escalate")
def appeals_escalate() -> None:
    """Escalate every open appeal past its deadline to the policy admins (run it from cron)."""
    with _opened() as database, database.transaction() as session:
        late = escalate_overdue(session, Actor.system(Source.cli))
        ids = [appeal.id for appeal in late]
    typer.echo(
        f"escalated {len(ids)} overdue appeal(s){': ' if ids else ''}{', '.join(map(str, ids))}"
    )


@appeals_app.command("metrics")
def appeals_metrics_command(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """Appeals filed, decided, open, overdue; hours to decision; outcomes per clause."""
    with _opened() as database, database.sessions() as session:
        figures = appeal_metrics(session)
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for key, value in figures.items():
        if key != "by_clause":
            typer.echo(f"{key}: {value}")
    for clause, row in figures["by_clause"].items():
        typer.echo(
            f"clause {clause}: {row['decided']} decided, {row['reversed']} reversed "
            f"({row['share_reversed']:.0%}), {row['modified']} modified"
        )


ledger_app = typer.Typer(no_args_is_help=True, help="The serving ledger and its counters.")
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("rebuild")
def ledger_rebuild(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """Recount every campaign's daily and lifetime spend from the ledger alone and compare it
    with the stored counters. Exits 1 when any differs."""
    with _opened() as database, database.sessions() as session:
        found = rebuild_check(session)
        delivered = delivery_check(session)
        events = session.scalar(select(func.count()).select_from(LedgerEvent)) or 0
    if as_json:
        report = {
            "events": events,
            "mismatches": [asdict(m) for m in found],
            "delivery_mismatches": [asdict(m) for m in delivered],
        }
        typer.echo(json.dumps(report, default=str, indent=2))
    elif not found and not delivered:
        typer.echo(f"the counters agree with the ledger ({events} events)")
    for mismatch in [] if as_json else found:
        when = mismatch.day.isoformat() if mismatch.day else "lifetime"
        typer.echo(
            f"campaign {mismatch.campaign_id} {when}: counters (impressions, clicks, micros) "
            f"{mismatch.counter}, ledger {mismatch.ledger}"
        )
    for post in [] if as_json else delivered:
        typer.echo(
            f"promoted post {post.promoted_post_id} delivery: counter (impressions, clicks, "
            f"micros) {post.counter}, ledger {post.ledger}"
        )
    if found or delivered:
        raise typer.Exit(1)


keys_app = typer.Typer(no_args_is_help=True, help="The transparency log's signing key.")
app.add_typer(keys_app, name="keys")


@keys_app.command("init")
def keys_init(
    path: Annotated[
        Path | None,
        typer.Option(help="where to write it (default: ADWARDEN_LOG_KEY, or the data folder)"),
    ] = None,
) -> None:
    """Make the Ed25519 key that signs the log's tree heads. An existing key is never
    replaced: verifiers that saved a tree head would see every later one as forged."""
    try:
        written, public = init_key(path)
    except FileExistsError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"log signing key written to {written} (readable by its owner only)")
    typer.echo(f"public key {public.base64}\nkey id {public.key_id}")
    if path is not None:
        typer.echo(f"set ADWARDEN_LOG_KEY={written} where adwarden runs")


log_app = typer.Typer(no_args_is_help=True, help="The verifiable log of published records.")
app.add_typer(log_app, name="log")


@log_app.command("check")
def log_check() -> None:
    """Check the log from the inside: every leaf, subtree and signature, and every decision,
    policy version, appeal and appeal answer against its entries. Exits 1 on any problem."""
    with _opened() as database, database.sessions() as session:
        try:
            problems = check_log(session)
        except LogKeyError as exc:
            raise fail(str(exc)) from None
        size = size_of(session)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        raise typer.Exit(1)
    typer.echo(f"the log holds {size} entries and agrees with the database")


exports_app = typer.Typer(no_args_is_help=True, help="The bulk exports' kept lines.")
app.add_typer(exports_app, name="exports")


@exports_app.command("refresh")
def exports_refresh() -> None:
    """Render again every decision's and every ad's export lines that are missing or out of
    date: after an upgrade, a new ADWARDEN_PUBLIC_URL, rows edited outside adwarden, and for
    ads, regularly (their delivery and status change as they run; run it from cron). Exports
    are right without it (such lines are rendered as they are read), only slower."""
    with _opened() as database:
        if database.engine.dialect.name != "postgresql":
            typer.echo("on SQLite every export is rendered as it is read: nothing to refresh")
            return
        decisions = _refresh(database, stale_decisions, refresh_decisions)
        ads = _refresh(database, stale_ads, refresh_ads)
    typer.echo(f"export lines rendered for {decisions} decisions and {ads} ads")


def _refresh(
    database: Database,
    stale: Callable[[Session, int], list[int]],
    refresh: Callable[[Session, list[int]], int],
) -> int:
    rendered, after = 0, 0
    while True:
        with database.transaction() as session:
            found = stale(session, after)
            rendered += refresh(session, found)
        if not found:
            return rendered
        after = found[-1]


DEFAULT_STATE = Path.home() / ".adwarden" / "verified-heads.json"


@log_app.command("verify")
def log_verify(
    url: Annotated[str, typer.Argument(help="the instance, e.g. http://127.0.0.1:8000")],
    state_file: Annotated[
        Path, typer.Option("--state", help="where tree heads checked before are saved")
    ] = DEFAULT_STATE,
    key: Annotated[
        str | None, typer.Option(help="the log's public key (base64) to insist on")
    ] = None,
) -> None:
    """Verify a running instance from outside, through its public API only: the signed tree
    head, every entry, inclusion proofs, consistency with the tree head saved last time, and
    every public decision and appeal against the log. Exits 1 on any problem."""
    import httpx

    base = url.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            report = verify(client, base, state_file, pinned_key=key)
    except VerifyError as exc:
        raise fail(str(exc)) from None
    for line in report.lines:
        typer.echo(f"ok  {line}")
    for line in report.problems:
        typer.echo(f"BAD {line}")
    if report.problems:
        raise typer.Exit(1)
