"""Dependencies run one way: web/cli -> stages -> domain and store.

The pure core (domain) imports no other adwarden code; no stage imports the
web layer or the CLI; store knows no stage.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "adwarden"
EDGES = {"web", "cli"}
COMPOSITION = {"models", "web", "cli", "scenario"}  # may import every stage


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("adwarden.")}


def part_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_modules() -> None:
    assert len(MODULES) > 20


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_respect_the_layers(path: Path) -> None:
    part = part_of(path)
    for imported in imports_of(path):
        target = imported.split(".")[1]
        if part == "domain":
            assert target == "domain", f"domain must stay pure, but imports {imported}"
        elif part == "store" and "migrations" not in path.parts:
            assert target in {"store", "domain"}, f"store must not know stages: {imported}"
        elif part not in COMPOSITION:
            assert target not in EDGES, f"{part} is a stage and must not import {imported}"
