"""A workspace with one person per role, a job, and a drawing released to two firms.

    lead firm (Lead Mould Co.)  owner `owner`, manager `lead_manager`
    hub.firm (the supplier)     member `sme` (hub.sme), manager `supplier_manager`
    third firm                  read-only `reader`
    fourth firm                 guest `guest` (sees only what is sent to its firm)
    not members                 `outsider` (hub.other_sme), `admin` (hub admin), anonymous

Drawing D-100 has revision A released to the supplier and the guest's firm; job J-1 (injection
mould) has the supplier as mould maker.
"""

from __future__ import annotations

from typing import Any

import pytest

from .factories import World, build_world, pdf_bytes, png_bytes  # noqa: F401

PERSONAS = ["owner", "lead_manager", "sme", "supplier_manager", "reader", "guest", "outsider",
            "admin", "anonymous"]
MEMBERS = ["owner", "lead_manager", "sme", "supplier_manager", "reader", "guest"]
NOT_MEMBERS = ["outsider", "admin"]


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(hub: Any) -> World:
    return build_world(hub)


@pytest.fixture
def web(world: World, client_for: Any) -> Any:
    return lambda persona: client_for(world.user(persona))


@pytest.fixture
def api(world: World, api_for: Any) -> Any:
    return lambda persona: api_for(world.user(persona))
