"""Bearer-token authentication for the API (tokens are stored as SHA-256 digests)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from .models import ApiToken


def user_for_token(token: str) -> Any | None:
    row = (ApiToken.objects.select_related("user", "user__profile")
           .filter(digest=ApiToken.digest_of(token), revoked_at__isnull=True,
                   user__is_active=True).first())
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


class BearerAuth(HttpBearer):
    """Required authentication: a valid, unrevoked token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        return user_for_token(token)


def optional_user(request: HttpRequest) -> Any:
    """The token's user when an Authorization header is sent, else anonymous.

    A header with a bad token is an error, not anonymous access."""
    header = request.headers.get("Authorization", "")
    if not header:
        return AnonymousUser()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError()
    user = user_for_token(token.strip())
    if user is None:
        raise AuthenticationError()
    return user


bearer = BearerAuth()
