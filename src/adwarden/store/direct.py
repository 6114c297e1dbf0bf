"""Connections beside an engine's pool, for work that must not queue behind requests.

The health probe and background builds each open a connection of their own for their work
and close it after (no pool), so that a pool held by stuck requests neither hides a healthy
database nor stalls a build that those requests are waiting for. Short timeouts make a
database that does not answer a failure to report, not a wait.
"""

from __future__ import annotations

import threading
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

# A probe gives up on connecting, and on each statement, after this long: a load balancer
# asking every few seconds must hear "failing", not wait.
PROBE_TIMEOUT = 2.0  # seconds
# A build reads a whole list's entries, which may take a while on a busy database; only the
# connecting is bounded.
WORK_CONNECT_TIMEOUT = 10.0  # seconds

_engines: WeakKeyDictionary[Engine, dict[bool, Engine]] = WeakKeyDictionary()
_lock = threading.Lock()


def _connect_args(dialect: str, probe: bool) -> dict[str, Any]:
    if dialect == "sqlite":
        # how long a statement waits for another connection's lock
        return {"timeout": PROBE_TIMEOUT if probe else WORK_CONNECT_TIMEOUT}
    # libpq takes whole seconds and treats less than 2 as 2
    args: dict[str, Any] = {
        "connect_timeout": max(2, round(PROBE_TIMEOUT if probe else WORK_CONNECT_TIMEOUT)),
        # so that pg_stat_activity tells them from the pool's
        "application_name": "adwarden-probe" if probe else "adwarden-work",
    }
    if probe:
        millis = round(PROBE_TIMEOUT * 1000)
        args["options"] = f"-c statement_timeout={millis} -c lock_timeout={millis}"
    return args


def direct_engine(engine: Engine, *, probe: bool = False) -> Engine:
    """An engine on `engine`'s database whose connections are made for each use and closed
    after it. `probe`: connecting and every statement time out after PROBE_TIMEOUT."""
    with _lock:
        kinds = _engines.setdefault(engine, {})
        made = kinds.get(probe)
        if made is None:
            made = kinds[probe] = create_engine(
                engine.url,
                poolclass=NullPool,
                connect_args=_connect_args(engine.dialect.name, probe),
            )
        return made
