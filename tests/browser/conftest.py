"""Real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright against the real app.

Playwright cannot download a browser here, so it is pointed at the system one; a
machine without it fails these tests (CI installs it; nothing is skipped).
Screenshots of the key pages go to test-results/screenshots/ (ADWARDEN_TEST_OUTPUT).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from browser_support import CHROMIUM, OUTPUT, Screens


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    name = request.node.name.replace("[", "-").replace("]", "")
    return Screens(OUTPUT / "screenshots" / name)
