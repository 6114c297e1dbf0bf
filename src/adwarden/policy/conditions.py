"""Clause conditions in CEL, through the Rust-backed `common-expression-language` binding.

It was chosen by measuring (`make bench-policy`): on the default policy's own
conditions and facts it compiles about 10 times and evaluates about 5 times
faster than the pure-Python `cel-python`, and the two agree on every condition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import cel

from adwarden.domain.enums import SubjectLevel
from adwarden.policy.facts import FACTS, example_facts

# names a comprehension macro binds: `names.exists(n, ...)` binds n
_BOUND = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


class ConditionError(ValueError):
    """A condition that cannot be used; the message says what to change."""


@dataclass(frozen=True)
class Condition:
    source: str
    program: cel.Program
    facts: tuple[str, ...]  # the facts it reads

    def holds(self, facts: dict[str, Any]) -> bool:
        result = self.program.execute(facts)
        if not isinstance(result, bool):
            raise ConditionError(f"condition gave {result!r}, not true or false")
        return result


def compile_condition(source: str, level: SubjectLevel) -> Condition:
    try:
        program = cel.compile(source)
    except ValueError as error:
        first = str(error).splitlines()[0]
        raise ConditionError(f"condition does not compile: {first}") from None
    known = FACTS[level]
    bound = set(_BOUND.findall(source))
    unknown = sorted(set(program.variables()) - bound - set(known))
    if unknown:
        raise ConditionError(
            f"condition reads unknown fact {', '.join(unknown)}; "
            f"facts at the {level.value} level: {', '.join(known)}"
        )
    condition = Condition(source, program, tuple(sorted(set(program.variables()) - bound)))
    try:
        condition.holds(example_facts(level))
    except (RuntimeError, ValueError, TypeError) as error:
        raise ConditionError(
            f"condition fails on example facts ({error}); check the facts' types in docs/policy.md"
        ) from None
    return condition
