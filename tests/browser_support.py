"""Shared by the browser tests: where Chromium is, and where screenshots go."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

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
