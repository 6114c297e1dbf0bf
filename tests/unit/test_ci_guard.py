"""On CI nothing may be skipped: a skip fails the run."""

from __future__ import annotations

from pathlib import Path

import pytest

SKIPPING = """
import pytest

def test_needs_a_service():
    pytest.skip("service missing")
"""


@pytest.mark.parametrize(("ci", "code"), [("true", 1), ("", 0)])
def test_skip_fails_only_on_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, code: int
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    pytester.makeconftest('pytest_plugins = ["ci_guard"]')
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == code
    if ci:
        result.stdout.fnmatch_lines(["*CI=true and 1 test(s) skipped*"])
