"""A pytest plugin: with CI=true, any skipped test fails the run.

A skip on CI means a missing service or browser, and CI must have them all.
"""

from __future__ import annotations

import os

import pytest

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") == "true" and _skipped:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"CI=true and {len(_skipped)} test(s) skipped: {_skipped[:5]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
