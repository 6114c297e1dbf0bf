"""The staff console: screening hits, review tasks, appeals, decisions and advertisers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/staff", include_in_schema=False)
