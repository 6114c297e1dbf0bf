"""Real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright against the real app.

A pytest plugin (tests/conftest.py loads it): the `browser` and `screens` fixtures.
Playwright cannot download a browser here, so it is pointed at the system one; a machine
without it fails the browser tests (CI installs it; nothing is skipped). Screenshots of the
key pages go to test-results/screenshots/ (or ADWARDEN_TEST_OUTPUT).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path(os.environ.get("ADWARDEN_CHROMIUM", "/usr/bin/chromium"))
OUTPUT = Path(
    os.environ.get("ADWARDEN_TEST_OUTPUT") or Path(__file__).resolve().parents[1] / "test-results"
)


class Screens:
    """Numbered screenshots of one test's key pages, in its own folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page: Page, name: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)


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
