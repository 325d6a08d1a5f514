"""`clusterhub user add` and `clusterhub token create|revoke|list`."""

from __future__ import annotations

import hashlib
import io
import sys
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from clusterhub.core.models import ApiToken, AuditEvent, Profile

pytestmark = pytest.mark.django_db

STRONG = "tangerine-orbit-marmalade-42"


def run(*args: str, stdin: str | None = None, monkeypatch: Any = None) -> str:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def add_user(monkeypatch: Any, username: str, *args: str, password: str = STRONG) -> str:
    return run("user", "add", username, *args, "--password-stdin", stdin=password + "\n",
               monkeypatch=monkeypatch)


# --- user add ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "org"), [
    ("sme", "f-a"), ("expert", "kitech-busan"), ("coordinator", "gn-tp"), ("admin", None),
    ("analyst", None), ("coordinator", "kitech"),
])
def test_user_add(hub: Any, monkeypatch: pytest.MonkeyPatch, role: str, org: str | None) -> None:
    args = ["--role", role, "--email", "new@example.org"] + (["--org", org] if org else [])
    out = add_user(monkeypatch, "newbie", *args)

    assert out.strip() == f"created newbie ({role})"
    user = get_user_model().objects.get(username="newbie")
    assert user.check_password(STRONG)
    assert user.email == "new@example.org"
    assert user.is_superuser is (role == "admin") and user.is_staff is (role == "admin")
    profile = Profile.objects.get(user=user)
    assert profile.role == role
    assert (profile.organisation.external_id if profile.organisation else None) == org
    assert AuditEvent.objects.filter(verb="user.created", object_id=str(user.pk)).exists()


def test_user_add_links_an_expert(hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.other_expert.user = None
    hub.other_expert.save()
    add_user(monkeypatch, "lee", "--role", "expert", "--org", "kitech-busan", "--expert", "e-b")
    hub.other_expert.refresh_from_db()
    assert hub.other_expert.user.username == "lee"


def test_user_add_without_password_gets_an_unusable_one(
    hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(monkeypatch, "nopass", "--role", "analyst", password="")
    assert not get_user_model().objects.get(username="nopass").has_usable_password()


@pytest.mark.parametrize(("args", "password", "message"), [
    (["--role", "sme", "--org", "nowhere"], STRONG, "--org: no organisation with id 'nowhere'"),
    (["--role", "sme", "--org", "kitech"], STRONG,
     "--org: an SME member must belong to a firm"),
    (["--role", "coordinator"], STRONG, "--org: a user with role 'coordinator' needs an"),
    (["--role", "analyst"], "password", "--password:"),
    (["--role", "analyst"], "x7", "--password:"),
])
def test_user_add_refusals(
    hub: Any, monkeypatch: pytest.MonkeyPatch, args: list[str], password: str, message: str
) -> None:
    users = get_user_model().objects.count()
    with pytest.raises(CommandError) as info:
        add_user(monkeypatch, "newbie", *args, password=password)
    assert str(info.value).startswith(message)
    assert get_user_model().objects.count() == users
    assert not Profile.objects.filter(user__username="newbie").exists()


def test_user_add_refuses_a_duplicate_username(hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="--username: user 'sme' already exists"):
        add_user(monkeypatch, "sme", "--role", "sme", "--org", "f-a")


def test_user_add_refuses_an_unknown_expert(hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="--expert: no expert with id 'e-zz'"):
        add_user(monkeypatch, "lee", "--role", "expert", "--org", "kitech-busan",
                 "--expert", "e-zz")


def test_user_add_without_a_terminal_needs_password_stdin(
    hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="use --password-stdin"):
        call_command("user", "add", "newbie", "--role", "analyst")


# --- tokens ------------------------------------------------------------------------------------


def test_token_create_prints_the_token_once_and_stores_its_digest(hub: Any) -> None:
    out = run("token", "create", "sme", "--label", "ERP sync")
    token = out.strip()
    assert token.startswith("chub_") and len(token) > 40
    row = ApiToken.objects.get(user=hub.sme)
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:12] and row.label == "ERP sync"
    stored = ApiToken.objects.filter(pk=row.pk).values().get()
    assert all(token not in str(value) for value in stored.values())
    assert all(token not in str(e.data) for e in AuditEvent.objects.all())
    # Shown once: listing shows the prefix only.
    listing = run("token", "list")
    assert token not in listing and row.prefix in listing


def test_token_create_for_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="no user 'ghost'"):
        run("token", "create", "ghost")


def test_token_authenticates_the_api_until_revoked(hub: Any, client: Any) -> None:
    token = run("token", "create", "sme").strip()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = client.get("/api/v1/organisations/f-a", **auth)
    assert response.status_code == 200
    assert response.json()["figures"]["employees"] == 45  # the token's user sees own figures
    assert ApiToken.objects.get(user=hub.sme).last_used_at is not None

    out = run("token", "revoke", token[:12])
    assert out.strip() == "revoked 1 token(s)"
    assert ApiToken.objects.get(user=hub.sme).revoked_at is not None

    response = client.get("/api/v1/organisations/f-a", **auth)
    assert response.status_code == 401
    assert response.json() == {"code": "unauthorised",
                               "message": "A valid bearer token is required.", "field": None}
    with pytest.raises(CommandError, match="no active token with prefix"):
        run("token", "revoke", token[:12])


def test_token_list(hub: Any) -> None:
    a = run("token", "create", "sme", "--label", "first").strip()
    b = run("token", "create", "coord", "--label", "second").strip()
    run("token", "revoke", b[:12])

    lines = run("token", "list").splitlines()
    assert lines == [f"{a[:12]}  sme  first  active", f"{b[:12]}  coord  second  revoked"]
    assert run("token", "list", "coord").splitlines() == [f"{b[:12]}  coord  second  revoked"]
    assert run("token", "list", "nobody") == ""
