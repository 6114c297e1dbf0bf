"""The advertiser area: my standing, my messages, my decisions, filing and following appeals."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/my", include_in_schema=False)
