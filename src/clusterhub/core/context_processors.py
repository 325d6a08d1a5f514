from typing import Any

from django.http import HttpRequest

from .models import role_of


def hub(request: HttpRequest) -> dict[str, Any]:
    """The user's hub role and unread-notification count, for the page frame."""
    user = request.user
    role = role_of(user)
    unread = 0
    if role is not None:
        unread = user.notifications.filter(read_at__isnull=True).count()  # type: ignore[union-attr]
    return {"hub_role": role, "unread_count": unread}
