"""What the benchmarks that make decisions share: the log's signing key (nothing is
published unlogged), and a policy admin and a reviewer, with the default policy published."""

from __future__ import annotations

import os
from pathlib import Path

from adwarden.auth.services import actor_for, create_user
from adwarden.domain.actors import Actor, Source
from adwarden.domain.enums import Role
from adwarden.policy.loader import load_policy
from adwarden.policy.services import publish_policy
from adwarden.store.engine import Database
from adwarden.transparency.keys import init_key

ROOT = Path(__file__).resolve().parents[1]


def use_work_folder(work: Path) -> None:
    """A log signing key and a data folder of the run's own, for this process and its
    children."""
    key_path, _ = init_key(work / "log-signing-key.pem")
    os.environ["ADWARDEN_LOG_KEY"] = str(key_path)
    os.environ["ADWARDEN_DATA_DIR"] = str(work / "data")


def staff_and_policy(db: Database) -> tuple[Actor, tuple[int, int, str]]:
    """The reviewer, and the default policy as published: (id, number, content hash)."""
    system = Actor.system(Source.system)
    with db.transaction() as session:
        admin = create_user(session, system, email="policy@bench.example", name="Bench policy",
                            role=Role.policy_admin, password="bench password 1")  # fmt: skip
        reviewer = create_user(session, system, email="reviewer@bench.example",
                               name="Bench reviewer", role=Role.reviewer,
                               password="bench password 2")  # fmt: skip
        admin_actor, reviewer_actor = actor_for(admin, Source.cli), actor_for(reviewer, Source.cli)
    with db.transaction() as session:
        version = publish_policy(
            session, admin_actor, load_policy(ROOT / "policies" / "ads-policy.yaml"), "Bench."
        )
        return reviewer_actor, (version.id, version.number, version.content_hash)
