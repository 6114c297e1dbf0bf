"""Named health probes: any stage registers a function that reads its own state (a queue's
backlog, say) and says whether it is fine; `GET /api/v1/health` reads them all.

A probe is given a session on a connection of its own (outside the pool, with short
timeouts), and answers a `Reading`. A probe that raises reads as not ok, with the error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# The name the judging queue registers its backlog under; the health answer shows it as
# its `queue` part, with `detail["backlog"]` as the backlog.
QUEUE = "queue"

Detail = Mapping[str, str | int | float | bool | None]


@dataclass(frozen=True)
class Reading:
    ok: bool
    detail: Detail = field(default_factory=dict)


Probe = Callable[[Session], Reading]

_probes: dict[str, Probe] = {}
_lock = threading.Lock()


def register(name: str, probe: Probe) -> Callable[[], None]:
    """Read `probe` as part `name` of every health answer from now on, in place of any probe
    of that name; returns a function that stops it and puts back the one it replaced."""
    with _lock:
        replaced = _probes.get(name)
        _probes[name] = probe

    def unregister() -> None:
        with _lock:
            if _probes.get(name) is not probe:
                return
            if replaced is None:
                del _probes[name]
            else:
                _probes[name] = replaced

    return unregister


def registered() -> list[str]:
    with _lock:
        return sorted(_probes)


def read_all(session: Session) -> dict[str, Reading]:
    """Every registered probe's reading, by name."""
    with _lock:
        probes = sorted(_probes.items())
    readings: dict[str, Reading] = {}
    for name, probe in probes:
        try:
            readings[name] = probe(session)
        except Exception as exc:
            log.warning("health probe %r failed", name, exc_info=True)
            readings[name] = Reading(False, {"error": f"{type(exc).__name__}: {exc}"})
            # a failed statement spoils the transaction on PostgreSQL; the next probe
            # begins another
            session.rollback()
    return readings
