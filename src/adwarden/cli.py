"""The `adwarden` command: set up a database, build the demo, serve the site, manage users."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

import adwarden.models  # noqa: F401  (every table and the audit guard)
from adwarden import settings
from adwarden.auth.services import create_user
from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import Role
from adwarden.domain.errors import AdwardenError
from adwarden.scenario.loader import build_scenario, read_scenario
from adwarden.store.engine import Database, DatabaseURLError, normalise_url
from adwarden.store.migrate import upgrade

app = typer.Typer(no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)
users = typer.Typer(no_args_is_help=True, help="Manage users.")
app.add_typer(users, name="users")

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


def _has_schema(database: Database) -> bool:
    return bool(inspect(database.engine).get_table_names())


@app.command("init-db")
def init_db() -> None:
    """Create or upgrade the schema to the newest migration."""
    upgrade(state.url)
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
        _serve(host, port)


def _serve(host: str, port: int) -> None:
    from adwarden.web.app import create_app

    database = Database(state.url)
    if not _has_schema(database):
        raise fail("the database has no schema yet: run `adwarden init-db` or `adwarden demo`")
    # Bind before announcing, so the printed URL already accepts connections
    # (and --port 0 prints the port the system chose).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    base = f"http://{host}:{sock.getsockname()[1]}"
    typer.echo(f"\nadwarden is serving on {base}/  (API docs: {base}/api/v1/docs)")
    sys.stdout.flush()
    config = uvicorn.Config(create_app(database), log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve on")] = 8000,
) -> None:
    """Serve the web site and the JSON API."""
    _serve(host, port)


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
    database = Database(state.url)
    try:
        with database.transaction() as session:
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
    except AdwardenError as exc:
        raise fail(str(exc)) from None
    finally:
        database.dispose()
