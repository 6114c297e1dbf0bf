"""Checking a running instance from outside, with nothing but its public API.

The verifier fetches the signed tree head and checks its signature; fetches every entry and
recomputes the root; checks inclusion proofs; checks that the log extends the tree head it
saved last time (a consistency proof), then saves the new one; and checks that every public
decision, appeal and appeal answer is exactly what its log entries say, and that every logged
one is still public.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from adwarden.domain.enums import AppealStatus
from adwarden.transparency.keys import PublicKey
from adwarden.transparency.log import tree_head_message
from adwarden.transparency.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from adwarden.transparency.records import (
    ANSWER_FIELDS,
    APPEAL,
    APPEAL_ANSWER,
    FILING_FIELDS,
    POLICY_VERSION,
    STATEMENT,
    STATUS_KINDS,
    leaf_data,
    shown_record,
)

API = "/api/v1/public"
SAMPLE = 64  # inclusion proofs checked per run (every entry's, in logs this small or smaller)


class VerifyError(Exception):
    """The instance could not be checked at all (unreachable, not an adwarden log)."""


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def ok(self, line: str) -> None:
        self.lines.append(line)

    def problem(self, line: str) -> None:
        self.problems.append(line)


@dataclass(frozen=True)
class SavedHead:
    url: str
    key_id: str
    public_key: str
    tree_size: int
    root_hash: str


def _load_state(path: Path, url: str) -> SavedHead | None:
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text()).get(url)
    except json.JSONDecodeError as error:
        raise VerifyError(f"{path} is not the verifier's state file: {error}") from None
    return SavedHead(url=url, **saved) if saved else None


def _save_state(path: Path, head: SavedHead) -> None:
    state = json.loads(path.read_text()) if path.exists() else {}
    state[head.url] = {
        "key_id": head.key_id,
        "public_key": head.public_key,
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True))
    temporary.replace(path)


class _Client:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def get(self, path: str, **params: Any) -> Any:
        try:
            response = self.client.get(API + path, params=params)
        except httpx.HTTPError as error:
            raise VerifyError(f"cannot reach {self.client.base_url}: {error}") from None
        if response.status_code != 200:
            raise VerifyError(
                f"GET {API}{path} answered {response.status_code}: {response.text[:200]}"
            )
        return response.json()

    def lines(self, path: str) -> Iterator[dict[str, Any]]:
        with self.client.stream("GET", API + path) as response:
            if response.status_code != 200:
                raise VerifyError(f"GET {API}{path} answered {response.status_code}")
            for line in response.iter_lines():
                if line:
                    yield json.loads(line)


def verify(
    client: httpx.Client,
    url: str,
    state_path: Path,
    *,
    pinned_key: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Report:
    report = Report()
    api = _Client(client)
    saved = _load_state(state_path, url)
    key_out = api.get("/log/key")
    key = PublicKey(base64.b64decode(key_out["public_key"]))
    expected = pinned_key or (saved.public_key if saved else None)
    if key.key_id != key_out["key_id"]:
        report.problem("the log's key id is not the SHA-256 of its key")
    if expected and expected != key_out["public_key"]:
        report.problem(
            f"the log is signed by another key than {'--key' if pinned_key else 'before'}"
        )
        return report
    head = api.get("/log/tree-head")
    size, root = int(head["tree_size"]), bytes.fromhex(head["root_hash"])
    message = tree_head_message(int(head["timestamp"]), size, root)
    if head["key_id"] != key.key_id or not key.verify(base64.b64decode(head["signature"]), message):
        report.problem(f"the tree head of size {size} is not signed by the log's key")
        return report
    report.ok(
        f"tree head: {size} entries, root {root.hex()}, signature verified (key {key.key_id[:16]}…)"
    )

    progress("fetching entries")
    hashes: list[bytes] = []
    seen = _Seen({}, {})
    while len(hashes) < size:
        batch = api.get("/log/entries", start=len(hashes), end=min(size, len(hashes) + 1000))
        if not batch:
            break
        for entry in batch:
            # only the hashes are kept: a million entries' data would not fit in memory
            position = len(hashes)
            digest = leaf_hash(entry["data"].encode())
            if entry["index"] != position or digest.hex() != entry["leaf_hash"]:
                report.problem(f"entry {position}: its data does not hash to its leaf hash")
            hashes.append(digest)
            data = entry["data"].encode()
            seen.note(entry["kind"], int(entry["subject_id"]), position, digest, data)
    if len(hashes) != size:
        report.problem(f"the log served {len(hashes)} entries, its tree head says {size}")
    elif (root_of(hashes) if hashes else EMPTY_ROOT) != root:
        report.problem("the entries do not make the signed root: an entry was changed or removed")
    else:
        report.ok(f"entries: {size} fetched, the root recomputed from them matches")

    chosen = (
        range(size)
        if size <= SAMPLE
        else sorted({*random.sample(range(size - 1), SAMPLE - 1), size - 1})
    )
    checked = 0
    for index in chosen:
        proof = api.get("/log/proof/inclusion", tree_size=size, index=index)
        path = [bytes.fromhex(p) for p in proof["audit_path"]]
        if index < len(hashes) and verify_inclusion(hashes[index], index, size, path, root):
            checked += 1
        else:
            report.problem(f"the inclusion proof of entry {index} does not verify")
    report.ok(f"inclusion: {checked} proofs verified against the signed root")

    if saved is not None:
        if saved.tree_size > size:
            report.problem(f"the log shrank: {saved.tree_size} entries were saved, now {size}")
        elif saved.tree_size > 0:
            proof = api.get("/log/proof/consistency", first=saved.tree_size, second=size)
            path = [bytes.fromhex(p) for p in proof["proof"]]
            if verify_consistency(
                saved.tree_size, size, bytes.fromhex(saved.root_hash), root, path
            ):
                report.ok(
                    f"consistency: the log extends the tree head saved earlier ({saved.tree_size} entries)"
                )
            else:
                report.problem(
                    f"the log does not extend the tree head saved earlier ({saved.tree_size} "
                    "entries): its history was rewritten"
                )

    progress("comparing public decisions, appeals and policy versions with the log")
    _compare_decisions(api, seen, size, report)
    _compare_policies(api, seen, report)
    if not report.problems:
        _save_state(
            state_path,
            SavedHead(url, key.key_id, key_out["public_key"], size, root.hex()),
        )
        report.ok(f"saved this tree head to {state_path}")
    return report


@dataclass
class _Seen:
    """Per decision, its statement entry and its latest status entry: (index, leaf hash);
    per appeal, its filing and its latest answer."""

    statements: dict[int, tuple[int, bytes]]
    statuses: dict[int, tuple[int, bytes]]

    policies: dict[int, tuple[int, bytes]] = field(default_factory=dict)  # by version number
    appeals: dict[int, tuple[int, bytes]] = field(default_factory=dict)
    answers: dict[int, tuple[int, bytes]] = field(default_factory=dict)

    def note(self, kind: str, subject_id: int, index: int, digest: bytes, data: bytes) -> None:
        if kind == POLICY_VERSION:  # few: kept whole, to compare field by field
            record = json.loads(data)["record"]
            self.policies[int(record["number"])] = (index, data)
        elif kind == STATEMENT:
            self.statements[subject_id] = (index, digest)
        elif kind in STATUS_KINDS.values():
            self.statuses[subject_id] = (index, digest)
        elif kind == APPEAL:
            self.appeals[subject_id] = (index, digest)
        elif kind == APPEAL_ANSWER:
            self.answers[subject_id] = (index, digest)


def _compare_decisions(api: _Client, seen: _Seen, size: int, report: Report) -> None:
    """Every public decision against its entries. What was published after the verified tree
    head (its entries at or past `size`) is left for the next run."""
    statements, statuses = seen.statements, seen.statuses
    public = appeals = 0
    for item in api.lines("/exports/decisions.jsonl"):
        try:
            public += _compare_decision(item, statements, statuses, size, report)
            appeals += _compare_appeals(item, seen, size, report)
        except (KeyError, TypeError, ValueError) as error:
            report.problem(f"a public decision is malformed ({error!r}): {str(item)[:120]}")
    for decision_id, (index, _) in sorted(statements.items()):
        report.problem(
            f"log entry {index} records decision {decision_id}, which is no longer public"
        )
    for appeal_id, (index, _) in sorted(seen.appeals.items()):
        report.problem(f"log entry {index} records appeal {appeal_id}, which is no longer public")
    for appeal_id, (index, _) in sorted(seen.answers.items()):
        report.problem(
            f"log entry {index} records the answer to appeal {appeal_id}, which is no longer public"
        )
    if not report.problems:
        report.ok(f"records: {public} public decisions match their log entries")
        report.ok(f"appeals: {appeals} public appeals match their log entries")


# what a public decision shows, and where its logged record holds the same
_SHOWN = (
    (("facts_summary",), "facts_summary"),
    (("outcome",), "outcome"),
    (("clause", "id"), "clause"),
    (("clause", "policy_version"), "policy_version"),
    (("evidence",), "evidence"),
    (("subject", "label"), "subject"),
    (("automated_decision",), "automated_decision"),
    (("starts_at",), "starts_at"),
)


def _compare_decision(
    item: dict[str, Any],
    statements: dict[int, tuple[int, bytes]],
    statuses: dict[int, tuple[int, bytes]],
    size: int,
    report: Report,
) -> int:
    decision_id = int(item["id"])
    logged_at = item["log"]["statement_index"]
    if logged_at is None or int(logged_at) >= size:
        if decision_id in statements:
            report.problem(f"decision {decision_id} names no log entry, but the log has one")
        elif logged_at is None:
            report.problem(f"decision {decision_id} is public but not in the log")
        return 0  # published after the verified tree head: the next run checks it
    record = item["log"]["record"]
    logged = statements.pop(decision_id, None)
    if logged is None:
        report.problem(f"decision {decision_id} is public but not in the log")
        return 1
    if logged[1] != leaf_hash(leaf_data(STATEMENT, decision_id, record)):
        report.problem(
            f"decision {decision_id} differs from its statement in log entry {logged[0]}"
        )
    for path, key in _SHOWN:
        value: Any = item
        for step in path:
            value = value[step]
        if value != record[key]:
            report.problem(f"decision {decision_id} shows a {key} its log entry does not hold")
    status = statuses.pop(decision_id, None)
    status_at = item["log"]["status_index"]
    if status_at is not None and int(status_at) >= size:
        return 1  # its status changed after the verified tree head
    if item["log"]["status_record"] is None:
        if status is not None:
            report.problem(
                f"decision {decision_id} shows as {item['status']}, "
                f"but log entry {status[0]} ended it"
            )
        return 1
    kinds = {status.value: kind for status, kind in STATUS_KINDS.items()}
    if item["status"] not in kinds or item["log"]["status_record"]["status"] != item["status"]:
        report.problem(f"decision {decision_id} shows a status its log entry does not hold")
        return 1
    record_data = leaf_data(kinds[item["status"]], decision_id, item["log"]["status_record"])
    if status is None or status[1] != leaf_hash(record_data):
        report.problem(
            f"decision {decision_id} shows as {item['status']}, which the log does not record"
        )
    return 1


def _compare_appeals(item: dict[str, Any], seen: _Seen, size: int, report: Report) -> int:
    """A public decision's appeals against their entries: each one's filing, and its answer
    once it shows one, rebuilt from what it shows. Entries at or past `size` wait, as for
    decisions. How many appeals were compared."""
    decision_id = int(item["id"])
    compared = 0
    for appeal in item["appeals"]:
        appeal_id = int(appeal["id"])
        filed_at, answered_at = appeal["log"]["filing_index"], appeal["log"]["answer_index"]
        if filed_at is not None and int(filed_at) >= size:
            continue  # filed after the verified tree head
        compared += 1
        filed = seen.appeals.pop(appeal_id, None)
        answered = seen.answers.pop(appeal_id, None)
        if filed is None:
            report.problem(f"appeal {appeal_id} is public but not in the log")
        elif filed[1] != leaf_hash(
            leaf_data(APPEAL, appeal_id, shown_record(appeal, decision_id, FILING_FIELDS))
        ):
            report.problem(f"appeal {appeal_id} differs from its filing in log entry {filed[0]}")
        if appeal["status"] != AppealStatus.decided.value:
            if answered is not None:
                report.problem(
                    f"appeal {appeal_id} shows as {appeal['status']}, "
                    f"but log entry {answered[0]} answered it"
                )
            continue
        if answered_at is not None and int(answered_at) >= size:
            continue  # answered after the verified tree head
        record = shown_record(appeal, decision_id, ANSWER_FIELDS)
        if answered is None:
            report.problem(f"appeal {appeal_id} shows an answer that is not in the log")
        elif answered[1] != leaf_hash(leaf_data(APPEAL_ANSWER, appeal_id, record)):
            report.problem(f"appeal {appeal_id}'s answer differs from its log entry {answered[0]}")
    return compared


def _compare_policies(api: _Client, seen: _Seen, report: Report) -> None:
    published = {int(v["number"]): v for v in api.get("/policy/versions")}
    before = len(report.problems)
    for number, (index, data) in sorted(seen.policies.items()):
        logged = json.loads(data)["record"]
        shown = published.pop(number, None)
        fields = ("title", "content_hash", "changelog")
        if shown is None:
            report.problem(f"log entry {index} records policy version {number}, which is gone")
        elif any(shown[name] != logged[name] for name in fields):
            report.problem(f"policy version {number} differs from log entry {index}")
    for number in sorted(published):
        report.problem(f"policy version {number} is public but not in the log")
    if len(report.problems) == before:
        count = len(seen.policies)
        report.ok(f"policy: the public versions match their log entries ({count})")
