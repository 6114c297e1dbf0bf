"""What changed between two published policy documents: clauses added, removed and changed,
field by field, with the changed words marked. Pure functions over the documents as stored
(`{"title": ..., "clauses": [{"id": ..., ...}, ...]}`); no I/O, so the public pages and the
API show the same diff."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

# The fields of a clause in the order a reader meets them; the ground's parts are compared
# one by one, so a changed law or explanation shows as just that.
CLAUSE_FIELDS = (
    "title",
    "text",
    "level",
    "condition",
    "outcome",
    "ground.kind",
    "ground.law",
    "ground.reference_url",
    "ground.explanation",
    "dsa_category",
    "automatic",
    "duration_days",
    "end_rule",
    "rereview_days",
    "appeal_window_days",
    "appeal_sla_days",
    "classifiers",
    "withhold_ad_content",
)

SegmentKind = Literal["same", "del", "ins"]


@dataclass(frozen=True)
class Segment:
    """A run of text that both sides share (`same`), only the old one has (`del`), or only
    the new one has (`ins`)."""

    kind: SegmentKind
    text: str


@dataclass(frozen=True)
class FieldChange:
    """One field of a clause (or the policy's title) that differs; `segments` marks the
    changed words when both sides are text."""

    field: str
    old: Any
    new: Any
    segments: tuple[Segment, ...] | None = None


@dataclass(frozen=True)
class ClauseChange:
    id: str
    old_title: str
    new_title: str
    changes: tuple[FieldChange, ...]

    def change(self, field: str) -> FieldChange | None:
        return next((change for change in self.changes if change.field == field), None)


@dataclass(frozen=True)
class PolicyDiff:
    """Added and removed clauses as they stand in the newer and the older document; changed
    clauses field by field; the ids of the clauses that are the same in both."""

    title: FieldChange | None
    added: tuple[dict[str, Any], ...]
    removed: tuple[dict[str, Any], ...]
    changed: tuple[ClauseChange, ...]
    unchanged: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return not (self.title or self.added or self.removed or self.changed)


_TOKEN = re.compile(r"\s+|[^\s]+")


def words(text: str) -> list[str]:
    """Text split into words and the whitespace between them; joined, they give it back."""
    return _TOKEN.findall(text)


def text_diff(old: str, new: str) -> tuple[Segment, ...]:
    """The word-level diff of two texts: joining the `same` and `del` segments gives `old`,
    joining the `same` and `ins` segments gives `new`."""
    before, after = words(old), words(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(segments, "same", "".join(before[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            _append(segments, "del", "".join(before[i1:i2]))
        if tag in ("insert", "replace"):
            _append(segments, "ins", "".join(after[j1:j2]))
    return tuple(segments)


def _append(segments: list[Segment], kind: SegmentKind, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].kind == kind:
        segments[-1] = Segment(kind, segments[-1].text + text)
    else:
        segments.append(Segment(kind, text))


def field_value(clause: Mapping[str, Any], field: str) -> Any:
    """A clause's field by its dotted name (`ground.law`); None where it is absent."""
    value: Any = clause
    for part in field.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _comparable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def field_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], fields: Iterable[str] = CLAUSE_FIELDS
) -> tuple[FieldChange, ...]:
    changes = []
    for field in fields:
        before, after = field_value(old, field), field_value(new, field)
        if _comparable(before) == _comparable(after):
            continue
        segments = (
            text_diff(before, after) if isinstance(before, str) and isinstance(after, str) else None
        )
        changes.append(FieldChange(field, before, after, segments))
    return tuple(changes)


def clause_order(clause_id: str) -> tuple[int, tuple[int, ...], str]:
    """Numbered ids in number order (2.10 after 2.9); anything else after them, by name."""
    if re.fullmatch(r"\d+(\.\d+)*", clause_id):
        return (0, tuple(int(part) for part in clause_id.split(".")), "")
    return (1, (), clause_id)


def clauses_by_id(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The document's clauses keyed by id; a document that repeats an id is refused."""
    found: dict[str, dict[str, Any]] = {}
    clauses: Sequence[Any] = document.get("clauses") or ()
    for clause in clauses:
        if not isinstance(clause, Mapping) or "id" not in clause:
            raise ValueError("every clause of a policy document has an id")
        clause_id = str(clause["id"])
        if clause_id in found:
            raise ValueError(f"the policy document repeats clause {clause_id}")
        found[clause_id] = dict(clause)
    return found


def diff_policies(old: Mapping[str, Any], new: Mapping[str, Any]) -> PolicyDiff:
    """What changed from the `old` policy document to the `new` one."""
    before, after = clauses_by_id(old), clauses_by_id(new)
    added = [after[i] for i in sorted(after.keys() - before.keys(), key=clause_order)]
    removed = [before[i] for i in sorted(before.keys() - after.keys(), key=clause_order)]
    changed: list[ClauseChange] = []
    unchanged: list[str] = []
    for clause_id in sorted(before.keys() & after.keys(), key=clause_order):
        changes = field_changes(before[clause_id], after[clause_id])
        if changes:
            changed.append(
                ClauseChange(
                    clause_id,
                    str(before[clause_id].get("title", "")),
                    str(after[clause_id].get("title", "")),
                    changes,
                )
            )
        else:
            unchanged.append(clause_id)
    title_changes = field_changes(old, new, ("title",))
    return PolicyDiff(
        title_changes[0] if title_changes else None,
        tuple(added),
        tuple(removed),
        tuple(changed),
        tuple(unchanged),
    )
