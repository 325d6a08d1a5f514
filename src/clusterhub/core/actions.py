"""State changes of the directory and accounts: users, roles, API tokens."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .audit import record_event
from .models import ApiToken, Organisation, Profile, Role

TOKEN_PREFIX = "chub_"


class ActionRefused(Exception):
    """An action that cannot be carried out; the message says why (shown to the user)."""

    def __init__(self, message: str, field: str | None = None, code: str = "refused") -> None:
        super().__init__(message)
        self.message, self.field, self.code = message, field, code


def create_user(
    actor: Any, username: str, role: str, organisation: Organisation | None,
    email: str = "", password: str | None = None,
) -> Any:
    """Create a login with a hub role (and, for experts, nothing else: link via the admin)."""
    User = get_user_model()
    if role not in Role.values:
        raise ActionRefused(f"unknown role '{role}' (one of {', '.join(Role.values)})", "role")
    if role in (Role.SME, Role.EXPERT, Role.COORDINATOR) and organisation is None:
        raise ActionRefused(f"a user with role '{role}' needs an organisation", "org")
    if role == Role.SME and organisation is not None and organisation.kind != "firm":
        raise ActionRefused("an SME member must belong to a firm", "org")
    if User.objects.filter(username=username).exists():
        raise ActionRefused(f"user '{username}' already exists", "username")
    with transaction.atomic():
        user = User(username=username, email=email, is_staff=role == Role.ADMIN,
                    is_superuser=role == Role.ADMIN)
        if password:
            try:
                from django.contrib.auth.password_validation import validate_password

                validate_password(password, user)
            except ValidationError as exc:
                raise ActionRefused(" ".join(exc.messages), "password") from None
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        Profile.objects.create(user=user, role=role, organisation=organisation)
        record_event(actor, "user.created", user, role=role,
                     organisation=organisation.external_id if organisation else None)
    return user


def create_token(actor: Any, user: Any, label: str = "") -> tuple[ApiToken, str]:
    """A new API token; returns the row and the token text, which is never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiToken.objects.create(user=user, prefix=token[:12], label=label,
                                      digest=ApiToken.digest_of(token))
        record_event(actor, "token.created", row, user=user.username)
    return row, token


def revoke_token(actor: Any, token: ApiToken) -> None:
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(actor, "token.revoked", token)
