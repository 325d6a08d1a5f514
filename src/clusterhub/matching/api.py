"""`GET /api/v1/match`: the ranked, explained list for a problem text. Public: anonymous
callers get published cases only and no workload or satisfaction figures in the reasons."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from clusterhub.core.api_auth import optional_user
from clusterhub.core.models import Role, role_of

from .engine import KINDS, match

router = Router(tags=["matching"])
URL_NAMES = {"expert": "expert", "organisation": "organisation", "case": "case"}
MAX_LIMIT = 50


class MatchParams(Schema):
    q: str = Field(min_length=1, max_length=2000, description="the problem, in Korean")
    region: str | None = Field(None, description="region code or short name (48, 경남)")
    kinds: str = Field("expert,organisation,case",
                       description="comma-separated: expert, organisation, case, equipment")
    limit: int = Field(10, ge=1, le=MAX_LIMIT)


class MatchOut(Schema):
    kind: str
    id: str
    name: str
    score: float
    reasons: list[str]
    url: str | None


def _url(kind: str, pk: int) -> str | None:
    name = URL_NAMES.get(kind)
    if name is None:
        return None
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


@router.get("/match", response=list[MatchOut])
def match_endpoint(request: HttpRequest, params: Query[MatchParams]) -> Any:
    user = optional_user(request)
    kinds = [k.strip() for k in params.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise HttpError(422, f"unknown kind: {unknown[0] if unknown else '(none)'}")
    staff = role_of(user) in (Role.ADMIN, Role.COORDINATOR, Role.EXPERT, Role.ANALYST)
    try:
        results = match(params.q, region=params.region, kinds=kinds, limit=params.limit,
                        public_only=not staff)
    except ValueError as exc:
        raise HttpError(422, str(exc)) from None
    return [{**m.as_dict(), "url": _url(m.kind, m.pk)} for m in results]
