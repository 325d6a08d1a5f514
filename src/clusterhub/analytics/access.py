"""Who may read which analytics."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from clusterhub.core.access import require_role

READERS = ("analyst", "coordinator", "admin")


def kpi_scope(user: Any) -> list[str] | None:
    """The institutions whose KPIs the user may see: all for readers (None); for an expert,
    their own organisation and its parent institute; everyone else 404."""
    role = require_role(user, *READERS, "expert")
    if role != "expert":
        return None
    expert = getattr(user, "expert", None)
    org = expert.organisation if expert is not None else None
    if org is None:
        raise Http404
    return [org.external_id] + ([org.parent.external_id] if org.parent_id else [])
