"""`make demo`'s data end to end: reference data, the core demo and every app's demo load into
one database, and the demo logins see working pages of every part of the hub."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

PAGES = {
    "sme": ["home", "organisations", "cases", "requests", "equipment:index", "collab:index",
            "simulation:index"],
    "coordinator": ["queue", "equipment:index", "simulation:index", "analytics:index"],
    "expert": ["inbox", "equipment:index", "collab:index", "analytics:index"],
    "analyst": ["analytics:index", "equipment:index"],
    "admin": ["queue", "analytics:index", "simulation:index", "admin:index"],
}


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        call_command("load_reference", stdout=io.StringIO())
        out = io.StringIO()
        call_command("demo_data", stdout=out)
        yield out.getvalue()
        call_command("flush", "--no-input", verbosity=0)


@pytest.mark.django_db
def test_every_app_loads_its_demo(demo: str) -> None:
    counts = {f"{label}.{model}": apps.get_model(label, model).objects.count()
              for label, model in [
        ("equipment", "Equipment"), ("equipment", "Booking"), ("collab", "Workspace"),
        ("collab", "Job"), ("simulation", "SimulationRun"), ("support", "SupportRequest"),
        ("support", "SolvedCase")]}
    assert all(n > 0 for n in counts.values()), counts
    assert counts["collab.Workspace"] == 4  # the seed's four e-Manufacturing centres
    assert "Content-Type:" not in demo  # the demo's notification e-mails are not printed
    assert "Demo logins" in demo


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(PAGES))
def test_demo_logins_see_every_part_of_the_hub(demo: str, role: str) -> None:
    client = Client()
    # Passwords were hashed before the suite's fast test hasher applied: log in directly.
    client.force_login(get_user_model().objects.get(username=role))
    for name in PAGES[role]:
        response = client.get(reverse(name))
        assert response.status_code == 200, (role, name, response.status_code)
