"""Where the project's shared public data lives (lists and evaluation sets, read in place)."""

from __future__ import annotations

from adwarden.settings import shared_data

LISTS = shared_data() / "lists"
EVAL = shared_data() / "eval"
