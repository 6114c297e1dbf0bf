"""The one shape every list format is read into, whatever its source."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from adwarden.domain.enums import EntityType
from adwarden.domain.errors import InvalidInputError


@dataclass(frozen=True)
class ListEntry:
    """One entry as its list publishes it.

    `entry_id` is the list's own id (OFAC ent_num, UN DATAID, FtM id), so a
    hit can always be traced back to the published file.
    """

    entry_id: str
    entity_type: EntityType
    name: str
    aliases: tuple[str, ...] = ()
    # ISO 3166-1 alpha-2, upper case
    countries: tuple[str, ...] = ()
    # ISO 8601 prefixes: "1965", "1965-03" or "1965-03-04"
    birth_dates: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    source_url: str | None = None
    listed_on: str | None = None
    notes: str | None = None
    # where in the source it was read, for error messages and reviewers
    line: int = field(default=0, compare=False)

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def content(self) -> dict[str, object]:
        """What the entry says, without where it sat in the file."""
        data = asdict(self)
        del data["line"]
        data["entity_type"] = self.entity_type.value
        return data

    def content_hash(self) -> str:
        encoded = json.dumps(self.content(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(encoded.encode()).hexdigest()


class ListFormatError(InvalidInputError):
    """A list file that cannot be read; names the file, the line and the problem."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {problem}", field="path")
        self.path = path
        self.line = line
        self.problem = problem
