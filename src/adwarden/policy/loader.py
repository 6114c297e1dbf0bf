"""Load a written policy from a YAML file or a folder of them, and refuse it whole if any
clause is wrong. Every error names the file, the clause and what to change."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from adwarden.domain.enums import SubjectLevel
from adwarden.domain.errors import InvalidInputError
from adwarden.policy.conditions import Condition, ConditionError, compile_condition
from adwarden.policy.document import Clause, PolicyFile


@dataclass(frozen=True)
class Problem:
    file: str
    clause: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: clause {self.clause}" if self.clause else self.file
        return f"{where}: {self.message}"


class PolicyInvalidError(InvalidInputError):
    """A policy with at least one problem; it is never loaded in part."""

    def __init__(self, problems: list[Problem]) -> None:
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"the policy has {len(problems)} problem(s):\n{lines}", field="policy")
        self.problems = problems


@dataclass(frozen=True)
class LoadedClause:
    clause: Clause
    condition: Condition
    file: str


@dataclass(frozen=True)
class Policy:
    """A validated policy: its clauses in id order and the hash of what they say."""

    title: str
    clauses: tuple[LoadedClause, ...]
    content_hash: str
    document: dict[str, Any] = field(compare=False)

    def clause(self, clause_id: str) -> LoadedClause:
        for loaded in self.clauses:
            if loaded.clause.id == clause_id:
                return loaded
        raise KeyError(clause_id)

    def at_level(self, level: SubjectLevel) -> tuple[LoadedClause, ...]:
        return tuple(loaded for loaded in self.clauses if loaded.clause.level is level)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"})
        if not files:
            raise PolicyInvalidError([Problem(str(path), None, "the folder holds no .yaml files")])
        return files
    if not path.is_file():
        raise PolicyInvalidError([Problem(str(path), None, "no such file or folder")])
    return [path]


def _clause_of(raw: Any, index: int) -> str | None:
    clauses = raw.get("clauses") if isinstance(raw, dict) else None
    if isinstance(clauses, list) and index < len(clauses) and isinstance(clauses[index], dict):
        value = clauses[index].get("id")
        return str(value) if value is not None else f"#{index + 1}"
    return None


def _read(path: Path, problems: list[Problem]) -> PolicyFile | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(str(path), None, f"cannot read: {error}"))
        return None
    return _parse(text, str(path), problems)


def _parse(text: str, name: str, problems: list[Problem]) -> PolicyFile | None:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problems.append(
            Problem(name, None, f"not valid YAML{line}: {getattr(error, 'problem', error)}")
        )
        return None
    try:
        return PolicyFile.model_validate(raw)
    except ValidationError as error:
        for item in error.errors():
            location = item["loc"]
            clause = None
            if len(location) >= 2 and location[0] == "clauses" and isinstance(location[1], int):
                clause = _clause_of(raw, location[1])
                location = location[2:]
            at = ".".join(str(part) for part in location) or "the clause"
            message = item["msg"].removeprefix("Value error, ")
            problems.append(Problem(name, clause, f"{at}: {message}"))
        return None


def canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def load_policy(path: Path) -> Policy:
    """Read, validate and compile a policy; raise PolicyInvalidError listing every problem."""
    problems: list[Problem] = []
    files = [(str(file), _read(file, problems)) for file in _files(path)]
    return _compile(files, problems)


def policy_from_text(text: str, source: str) -> Policy:
    """A policy given as YAML text (over the API, say), validated like a file."""
    problems: list[Problem] = []
    return _compile([(source, _parse(text, source, problems))], problems)


def policy_from_document(document: dict[str, Any], source: str) -> Policy:
    """A stored policy document, validated and compiled again (its hash is recomputed)."""
    problems: list[Problem] = []
    try:
        parsed: PolicyFile | None = PolicyFile.model_validate(document)
    except ValidationError as error:
        parsed = None
        problems += [Problem(source, None, item["msg"]) for item in error.errors()]
    return _compile([(source, parsed)], problems)


def _dump(clause: Clause) -> dict[str, Any]:
    # a field added later and left unset stays out, so earlier versions keep their hashes
    dump = clause.model_dump(mode="json")
    return {key: value for key, value in dump.items() if value is not None or key in _ALWAYS}


_ALWAYS = frozenset(name for name in Clause.model_fields if name != "withhold_ad_content")


def _compile(files: list[tuple[str, PolicyFile | None]], problems: list[Problem]) -> Policy:
    loaded: list[LoadedClause] = []
    title = None
    for file, document in files:
        if document is None:
            continue
        title = title or document.title
        for clause in document.clauses:
            try:
                condition = compile_condition(clause.condition, clause.level)
            except ConditionError as error:
                problems.append(Problem(file, clause.id, str(error)))
                continue
            loaded.append(LoadedClause(clause, condition, file))
    counts = Counter(item.clause.id for item in loaded)
    for clause_id, count in sorted(counts.items()):
        if count > 1:
            where = ", ".join(sorted({item.file for item in loaded if item.clause.id == clause_id}))
            problems.append(
                Problem(where, clause_id, f"the id is used {count} times: give each clause its own")
            )
    if problems:
        raise PolicyInvalidError(problems)
    ordered = tuple(sorted(loaded, key=lambda item: [int(n) for n in item.clause.id.split(".")]))
    content: dict[str, Any] = {
        "title": title or "Ads policy",
        "clauses": [_dump(item.clause) for item in ordered],
    }
    digest = hashlib.sha256(canonical(content).encode()).hexdigest()
    return Policy(content["title"], ordered, digest, content)
