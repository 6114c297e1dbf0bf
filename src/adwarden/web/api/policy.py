"""The policy for staff: what a proposed version would change, before anyone publishes it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from adwarden.domain.inputs import Input
from adwarden.enforcement.services import published
from adwarden.policy.loader import policy_from_text
from adwarden.policy.whatif import what_if
from adwarden.web.api.errors import AUTHENTICATED, WRITES
from adwarden.web.deps import DbSession, StaffActor

router = APIRouter(prefix="/policy", tags=["policy"], responses=AUTHENTICATED)


class WhatIfIn(Input):
    policy: str = Field(
        min_length=1, max_length=500_000, description="the proposed policy, as YAML"
    )


@router.post("/whatif", responses=WRITES)
def whatif(body: WhatIfIn, actor: StaffActor, session: DbSession) -> dict[str, Any]:
    """Every subject whose outcome the proposed policy would change: before, after, clause, why.

    Nothing is written.
    """
    _, current = published(session)
    proposed = policy_from_text(body.policy, "the proposed policy")
    return {"changes": [asdict(change) for change in what_if(session, current, proposed)]}
