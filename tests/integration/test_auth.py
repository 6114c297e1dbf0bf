"""Sign-in with argon2 hashes, web sessions and bearer tokens, both stored only as digests."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from adwarden.auth.models import ApiToken, User, WebSession
from adwarden.domain.enums import Role
from adwarden.store.engine import Database
from adwarden.web.app import create_app
from support import PASSWORD, api_client, live_server, make_staff


def test_password_is_stored_as_an_argon2id_hash(db: Database) -> None:
    email = make_staff(db)
    with db.sessions() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_token_is_shown_once_and_stored_as_a_digest(db: Database) -> None:
    email = make_staff(db, Role.admin)
    with api_client(db) as client:
        wrong = client.post("/api/v1/tokens", json={"email": email, "password": "not it at all"})
        assert wrong.status_code == 401
        issued = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
        assert issued.status_code == 201, issued.text
        token = issued.json()["token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["role"] == "admin"
        forged = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}x"})
        assert forged.status_code == 401
        assert forged.headers["www-authenticate"] == "Bearer"
        anonymous = client.get("/api/v1/me")
        assert anonymous.status_code == 401
    with db.sessions() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert token not in (stored.token_hash, stored.prefix)
    assert len(stored.token_hash) == 64


def test_web_sign_in_and_out(db: Database) -> None:
    email = make_staff(db)
    with live_server(create_app(db)) as base, httpx.Client(base_url=base) as client:
        refused = client.post("/login", data={"email": email, "password": "wrong password!"})
        assert refused.status_code == 400
        assert "do not match an active account" in refused.text
        blank = client.post("/login", data={"email": "", "password": ""})
        assert 'id="email-error"' in blank.text
        assert 'id="password-error"' in blank.text
        assert client.get("/account").status_code == 303
        signed_in = client.post("/login", data={"email": email.upper(), "password": PASSWORD})
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        account = client.get("/account")
        assert account.status_code == 200
        assert email in account.text
        cross_site = client.post("/logout", headers={"Origin": "https://evil.example"})
        assert cross_site.status_code == 403
        assert client.post("/logout").status_code == 303
        client.cookies.clear()
        with db.sessions() as session:
            [web_session] = session.scalars(select(WebSession)).all()
        assert web_session.ended_at is not None
        assert client.get("/account").status_code == 303


def test_ended_session_cookie_is_refused(db: Database) -> None:
    email = make_staff(db)
    with live_server(create_app(db)) as base, httpx.Client(base_url=base) as client:
        client.post("/login", data={"email": email, "password": PASSWORD})
        cookie = dict(client.cookies)
        assert client.get("/account").status_code == 200
        client.post("/logout")
        with httpx.Client(base_url=base, cookies=cookie) as replayer:
            replay = replayer.get("/account")
    assert replay.status_code == 303
