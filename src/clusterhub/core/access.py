"""Access helpers: every object read by a view or endpoint goes through one of these.

"Missing" and "not yours" both raise Http404, so that ids reveal nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from .models import Role, role_of


def require_role(user: Any, *roles: str) -> str:
    """The user's role if it is one of `roles`; otherwise 404 (the page does not exist for them)."""
    role = role_of(user)
    if role is None or (roles and role not in roles):
        raise Http404
    return role


def user_organisation_id(user: Any) -> int | None:
    profile = getattr(user, "profile", None)
    return profile.organisation_id if profile else None


def is_staff_role(user: Any) -> bool:
    return role_of(user) in (Role.ADMIN, Role.COORDINATOR)
