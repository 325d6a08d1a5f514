"""Fixtures of the support-desk tests: the nine personas and requests at given stages.

The hub (see clusterhub.testing.build_hub) has one user per persona. A request made by
`new_request` belongs to `hub.firm` and is routed to `hub.desk`; once assigned, it is offered to
`hub.expert`. So for such a request the personas split into those who see it (`sme`,
`expert`, `coordinator`, `admin`) and those who get a 404 (everyone else, logged in).
"""

from __future__ import annotations

from typing import Any

import pytest

from clusterhub.testing import advance, new_request

PERSONAS = ["sme", "other_sme", "expert", "other_expert", "coordinator", "other_coordinator",
            "admin", "analyst", "anonymous"]
# Who sees a request of hub.firm, routed to hub.desk and offered to hub.expert.
SEES_REQUEST = {"sme", "expert", "coordinator", "admin"}
NOT_YOURS = [p for p in PERSONAS if p not in SEES_REQUEST and p != "anonymous"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """build_hub() makes eight users; PBKDF2 would spend seconds hashing their passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    """Assert on the English messages (the hub's default language is Korean; see
    test_views_personas for one check of the Korean text)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def user_of(hub: Any, persona: str) -> Any:
    """The hub's user for a persona name (None for anonymous)."""
    return {
        "sme": hub.sme, "other_sme": hub.other_sme, "expert": hub.expert_user,
        "other_expert": hub.other_expert_user, "coordinator": hub.coordinator,
        "other_coordinator": hub.other_coordinator, "admin": hub.admin, "analyst": hub.analyst,
        "anonymous": None,
    }[persona]


@pytest.fixture
def as_persona(hub: Any, client_for: Any) -> Any:
    """as_persona("sme") -> a web client logged in as that persona."""
    return lambda persona: client_for(user_of(hub, persona))


@pytest.fixture
def api_as(hub: Any, api_for: Any) -> Any:
    """api_as("sme") -> an API client carrying that persona's bearer token."""
    return lambda persona: api_for(user_of(hub, persona))


def forward(hub: Any, req: Any, to: str) -> Any:
    """Carry on from the request's current status up to `to`."""
    return advance(hub, req, to)


@pytest.fixture
def submitted(hub: Any) -> Any:
    return new_request(hub)


@pytest.fixture
def offered(hub: Any) -> Any:
    """A request offered to hub.expert (status `assigned`): every persona has a stake in it."""
    return forward(hub, new_request(hub), "assigned")


def messages_of(response: Any) -> list[str]:
    """The flash messages a page rendered (or queued, for a redirect)."""
    from django.contrib.messages import get_messages

    if response.context is not None and "messages" in response.context:
        return [str(m) for m in response.context["messages"]]
    return [str(m) for m in get_messages(response.wsgi_request)]
