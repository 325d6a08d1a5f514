"""The SME rule in one place (seed l.158-161), replaceable with CLUSTERHUB_SME_RULE."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Organisation

# Regular-employee ceilings by sector (중소기업기본법 as cited by the seed, l.158-161).
SEED_EMPLOYEE_CEILINGS: dict[str, int] = {
    "mining": 300,
    "manufacturing": 300,
    "fisheries": 300,
    "transport": 300,
    "construction": 200,
    "commerce": 20,
    "services": 20,
}


def seed_sme_rule(org: Organisation) -> bool:
    """A firm is an SME when its regular employees are within its sector's ceiling."""
    if org.kind != "firm" or org.employees is None or not org.sector:
        return False
    ceiling = SEED_EMPLOYEE_CEILINGS.get(org.sector)
    return ceiling is not None and org.employees <= ceiling


@cache
def _rule(path: str) -> Callable[[Organisation], bool]:
    return import_string(path)  # type: ignore[no-any-return]


def is_sme(org: Organisation) -> bool:
    """SME status: the explicit flag when given, else the configured rule."""
    if org.is_sme_override is not None:
        return bool(org.is_sme_override)
    return _rule(settings.CLUSTERHUB_SME_RULE)(org)
