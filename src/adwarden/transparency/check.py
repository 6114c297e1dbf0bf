"""Checking the log against itself and against the database, from the inside.

Every leaf must hash from its stored data, every stored subtree from its children, the
latest signed tree head must sign the root of the whole log, and every decision, policy
version, appeal and appeal answer must be exactly what its entries say: a record changed,
added or removed behind the log's back shows up as a named problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from adwarden.appeals.models import Appeal
from adwarden.domain.enums import AppealStatus
from adwarden.domain.errors import ConflictError
from adwarden.enforcement.models import Decision
from adwarden.policy.loader import PolicyInvalidError
from adwarden.policy.models import PolicyVersion
from adwarden.policy.services import policy_of
from adwarden.registry.models import Advertiser
from adwarden.transparency import keys
from adwarden.transparency.log import latest_head, node_key, size_of, tree_head_message
from adwarden.transparency.merkle import EMPTY_ROOT, Node, completed_by, fold, leaf_hash
from adwarden.transparency.models import LogEntry, LogNode, TreeHead
from adwarden.transparency.records import (
    APPEAL,
    APPEAL_ANSWER,
    POLICY_VERSION,
    STATEMENT,
    STATUS_KINDS,
    answer_record,
    appeal_record,
    decision_record,
    leaf_data,
    personal_names,
    policy_record,
    status_record,
)

_BATCH = 5_000


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class _Seen:
    statements: dict[int, tuple[int, bytes, str]]  # decision id -> (index, leaf hash, kind)
    statuses: dict[int, tuple[int, bytes, str]]  # decision id -> the last status entry
    policies: dict[int, tuple[int, bytes, str]]  # policy version id -> its entry
    appeals: dict[int, tuple[int, bytes, str]]  # appeal id -> its filing
    answers: dict[int, tuple[int, bytes, str]]  # appeal id -> its last answer


def _walk(session: Session, problems: list[Problem]) -> tuple[int, bytes, _Seen]:
    """Recompute every leaf and subtree, in order, and the root at every size a tree head
    was signed for; return the size, the root and what was seen."""
    seen = _Seen({}, {}, {}, {}, {})
    border: list[tuple[Node, bytes]] = []
    expected = 0
    stored = dict(session.execute(select(LogNode.node_key, LogNode.hash)).all())
    heads = {head.tree_size: head for head in session.scalars(select(TreeHead))}
    public = keys.public_key()
    for entry in session.scalars(
        select(LogEntry).order_by(LogEntry.log_index).execution_options(yield_per=_BATCH)
    ):
        where = f"log entry {entry.log_index}"
        if entry.log_index != expected:
            problems.append(Problem(where, f"expected index {expected}: entries are missing"))
            expected = entry.log_index
        digest = leaf_hash(entry.payload.encode())
        if digest != entry.leaf_hash:
            problems.append(Problem(where, "its data no longer hashes to its stored leaf hash"))
        for node, value in completed_by(expected, digest, border):
            if stored.pop(node_key(node), None) != value:
                problems.append(Problem(where, f"stored subtree {node} does not match its leaves"))
        target = {
            STATEMENT: seen.statements,
            POLICY_VERSION: seen.policies,
            APPEAL: seen.appeals,
            APPEAL_ANSWER: seen.answers,
        }.get(entry.kind, seen.statuses)
        target[entry.subject_id] = (entry.log_index, digest, entry.kind)
        expected += 1
        head = heads.pop(expected, None)
        if head is not None:
            _check_head(head, fold([value for _, value in border]), public, problems)
    if stored:
        problems.append(Problem("log", f"{len(stored)} stored subtrees belong to no leaves"))
    for size in sorted(heads):
        problems.append(Problem(f"tree head of size {size}", "the log has fewer entries"))
    root = fold([value for _, value in border]) if border else EMPTY_ROOT
    return expected, root, seen


def _check_head(
    head: TreeHead, root: bytes, public: keys.PublicKey, problems: list[Problem]
) -> None:
    where = f"tree head of size {head.tree_size}"
    if head.root_hash != root:
        problems.append(Problem(where, "signs a root the entries no longer make"))
    message = tree_head_message(head.timestamp_ms, head.tree_size, head.root_hash)
    if head.key_id != public.key_id or not public.verify(head.signature, message):
        problems.append(Problem(where, "its signature does not verify with the log key"))


def check_log(session: Session) -> list[Problem]:
    problems: list[Problem] = []
    size, _, seen = _walk(session, problems)
    if size != size_of(session):
        problems.append(
            Problem("log", f"holds {size} entries but its head says {size_of(session)}")
        )
    if size and latest_head(session).tree_size != size:
        problems.append(Problem("tree head", f"none is signed for all {size} entries"))
    problems.extend(_records(session, seen))
    return problems


def _records(session: Session, seen: _Seen) -> Iterator[Problem]:
    numbers = dict(session.execute(select(PolicyVersion.id, PolicyVersion.number)).all())
    personal = personal_names(session, session.scalars(select(Advertiser.id)).all())
    for version in session.scalars(select(PolicyVersion)):
        where = f"policy version {version.number}"
        logged = seen.policies.pop(version.id, None)
        data = leaf_data(POLICY_VERSION, version.id, policy_record(version))
        if logged is None:
            yield Problem(where, "is not in the log")
        elif logged[1] != leaf_hash(data):
            yield Problem(where, f"differs from its log entry {logged[0]}")
        try:
            policy_of(version)
        except (ConflictError, PolicyInvalidError) as error:
            yield Problem(where, str(error))
    for decision in session.scalars(
        select(Decision).order_by(Decision.id).execution_options(yield_per=_BATCH)
    ):
        where = f"decision {decision.id}"
        logged = seen.statements.pop(decision.id, None)
        record = decision_record(
            decision,
            numbers.get(decision.policy_version_id, -1),
            personal=personal.get(decision.advertiser_id, ()),
        )
        if logged is None:
            yield Problem(where, "is not in the log")
        elif logged[1] != leaf_hash(leaf_data(STATEMENT, decision.id, record)):
            yield Problem(where, f"differs from its statement in log entry {logged[0]}")
        status = seen.statuses.pop(decision.id, None)
        kind = STATUS_KINDS.get(decision.status)
        if kind is None and status is not None:
            yield Problem(where, f"is {decision.status.value}, but log entry {status[0]} ended it")
        elif kind is not None and (
            status is None
            or status[1] != leaf_hash(leaf_data(kind, decision.id, status_record(decision)))
        ):
            yield Problem(where, f"is {decision.status.value}, which the log does not record")
    yield from _appeals(session, seen, personal)
    for subject_id, (index, _, _) in seen.statements.items():
        yield Problem(f"log entry {index}", f"records decision {subject_id}, which is gone")
    for subject_id, (index, _, _) in seen.policies.items():
        yield Problem(f"log entry {index}", f"records policy version {subject_id}, which is gone")
    for subject_id, (index, _, kind) in seen.statuses.items():
        yield Problem(
            f"log entry {index}", f"records a {kind} of decision {subject_id}, which is gone"
        )


def _appeals(session: Session, seen: _Seen, personal: dict[int, list[str]]) -> Iterator[Problem]:
    for appeal, decision in session.execute(
        select(Appeal, Decision)
        .join(Decision, Decision.id == Appeal.decision_id)
        .order_by(Appeal.id)
        .execution_options(yield_per=_BATCH)
    ):
        where = f"appeal {appeal.id}"
        filed = seen.appeals.pop(appeal.id, None)
        if filed is None:
            yield Problem(where, "is not in the log")
        elif filed[1] != leaf_hash(leaf_data(APPEAL, appeal.id, appeal_record(appeal))):
            yield Problem(where, f"differs from its filing in log entry {filed[0]}")
        answered = seen.answers.pop(appeal.id, None)
        if appeal.status is not AppealStatus.decided:
            if answered is not None:
                yield Problem(
                    where, f"is {appeal.status.value}, but log entry {answered[0]} answered it"
                )
            continue
        record = answer_record(appeal, decision, personal)
        if answered is None:
            yield Problem(where, "its answer is not in the log")
        elif answered[1] != leaf_hash(leaf_data(APPEAL_ANSWER, appeal.id, record)):
            yield Problem(where, f"its answer differs from its log entry {answered[0]}")
    for subject_id, (index, _, _) in seen.appeals.items():
        yield Problem(f"log entry {index}", f"records appeal {subject_id}, which is gone")
    for subject_id, (index, _, _) in seen.answers.items():
        yield Problem(
            f"log entry {index}", f"records the answer to appeal {subject_id}, which is gone"
        )
