"""What the support desk's pages ask of the matching engine: the text of a request, the field
corrections of intake and triage, and shared problems (open requests of other firms about the
same problem).

The engine (`engine.py`) knows nothing of users; these helpers filter its answers through the
support app's access rules (`SupportRequest.objects.for_user`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

SHARED_LIMIT = 10  # similar requests looked at per request


def request_text(req: Any) -> str:
    return f"{req.title}\n{req.description}".strip()


def record_fields(req: Any, confirmed: Iterable[Any], actor: Any) -> Any:
    """Keep what the engine suggests for the request's text next to the fields a person chose
    (the SME at intake, the coordinator at triage): a training signal for the concept table."""
    from . import engine

    suggested = engine.suggest_fields(request_text(req))
    return engine.record_field_correction(req, suggested, list(confirmed), actor)


def shared_problems(user: Any, req: Any, limit: int = SHARED_LIMIT) -> list[tuple[Any, float]]:
    """Open requests of other firms close to this one (similarity at or above the engine's
    `shared_problem_min`), that the user may see, most similar first; requests already in this
    request's joint project are left out."""
    from clusterhub.support.models import SupportRequest

    from . import engine

    found = engine.similar_open_requests(request_text(req), exclude_request_id=req.pk,
                                         limit=limit * 2)
    if not found:
        return []
    visible = SupportRequest.objects.for_user(user).open().exclude(firm_id=req.firm_id)
    if req.joint_project_id is not None:
        visible = visible.exclude(joint_project_id=req.joint_project_id)
    rows = visible.select_related("firm", "joint_project").in_bulk([r.pk for r, _s in found])
    return [(rows[r.pk], s) for r, s in found if r.pk in rows][:limit]


def shared_counts(user: Any, request_ids: Sequence[int]) -> dict[int, int]:
    """Request pk -> how many shared problems it has, for the user's open requests among the
    given ones (the queue's "similar requests" flags); requests without any are left out."""
    from clusterhub.support.models import SupportRequest

    reqs = (SupportRequest.objects.for_user(user).open().filter(pk__in=list(request_ids))
            .order_by("pk"))
    counts = {}
    for req in reqs:
        n = len(shared_problems(user, req))
        if n:
            counts[req.pk] = n
    return counts
