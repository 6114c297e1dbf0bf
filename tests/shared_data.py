"""Where the project's shared public data lives (lists and evaluation sets, read in place).

It sits beside the checkout as `../shared/data`; a clone elsewhere finds it through
ADWARDEN_SHARED_DATA or the workspace's own copy.
"""

from __future__ import annotations

import os
from pathlib import Path

WORKSPACE_COPY = Path("/work/shared/data")


def shared_data() -> Path:
    override = os.environ.get("ADWARDEN_SHARED_DATA")
    candidates = [Path(override)] if override else []
    candidates += [parent / "shared" / "data" for parent in Path(__file__).resolve().parents]
    candidates.append(WORKSPACE_COPY)
    for candidate in candidates:
        if (candidate / "SOURCES.md").is_file():
            return candidate
    raise RuntimeError(
        "shared/data not found beside the checkout: set ADWARDEN_SHARED_DATA to its folder"
    )


LISTS = shared_data() / "lists"
EVAL = shared_data() / "eval"
