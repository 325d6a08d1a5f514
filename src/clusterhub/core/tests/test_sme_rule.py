"""The SME rule (seed l.158-161): ceilings by sector, explicit flag, replaceable by setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from clusterhub.core.importing import import_files
from clusterhub.core.models import Organisation
from clusterhub.core.sme import is_sme, seed_sme_rule
from clusterhub.core.tests.records_util import REGIONS, write_jsonl
from clusterhub.testing import FirmFactory, OrganisationFactory


def firm(sector: str | None, employees: int | None, **kwargs: object) -> Organisation:
    return Organisation(kind="firm", sector=sector or "", employees=employees, **kwargs)


@pytest.mark.parametrize(("sector", "employees", "expected"), [
    ("manufacturing", 300, True),
    ("manufacturing", 301, False),
    ("manufacturing", 0, True),
    ("mining", 300, True),
    ("fisheries", 301, False),
    ("transport", 300, True),
    ("construction", 200, True),
    ("construction", 201, False),
    ("commerce", 20, True),
    ("commerce", 21, False),
    ("services", 20, True),
    ("services", 50, False),  # a 50-person service firm is not an SME
    ("manufacturing", None, False),  # unknown size
    (None, 10, False),  # unknown sector
])
def test_seed_ceilings(sector: str | None, employees: int | None, expected: bool) -> None:
    org = firm(sector, employees)
    assert seed_sme_rule(org) is expected
    assert is_sme(org) is expected


@pytest.mark.parametrize("kind", [k for k in Organisation.Kind.values if k != "firm"])
def test_non_firms_are_never_smes(kind: str) -> None:
    org = Organisation(kind=kind, sector="manufacturing", employees=10)
    assert is_sme(org) is False


@pytest.mark.parametrize(("override", "employees", "expected"), [
    (True, 5000, True), (False, 10, False), (None, 10, True), (None, 5000, False)])
def test_an_explicit_flag_wins(override: bool | None, employees: int, expected: bool) -> None:
    assert is_sme(firm("manufacturing", employees, is_sme_override=override)) is expected


def every_org_is_an_sme(org: Organisation) -> bool:
    return True


def big_service_firms_are_smes(org: Organisation) -> bool:
    return org.kind == "firm" and org.sector == "services" and (org.employees or 0) <= 100


HERE = __name__


@override_settings(CLUSTERHUB_SME_RULE=f"{HERE}.every_org_is_an_sme")
def test_the_rule_is_replaceable_by_setting() -> None:
    assert is_sme(Organisation(kind="university")) is True
    assert is_sme(firm("manufacturing", 100_000)) is True
    assert is_sme(firm("manufacturing", 10, is_sme_override=False)) is False  # flag still wins


def test_the_default_rule_is_back_after_the_override() -> None:
    assert is_sme(Organisation(kind="university")) is False


@pytest.mark.django_db
def test_save_computes_is_sme() -> None:
    small = FirmFactory(sector="services", employees=20)
    assert small.is_sme is True
    small.employees = 50
    small.save(update_fields=["employees"])  # is_sme is saved with the fields named
    small.refresh_from_db()
    assert small.is_sme is False
    assert OrganisationFactory(kind="gri").is_sme is False
    with override_settings(CLUSTERHUB_SME_RULE=f"{HERE}.big_service_firms_are_smes"):
        small.save()
    small.refresh_from_db()
    assert small.is_sme is True


def _org(ext_id: str, **kwargs: object) -> dict[str, object]:
    return {"type": "organisation", "id": ext_id, "name": ext_id, "kind": "firm",
            "region": "경남", **kwargs}


IMPORTED = [
    REGIONS[0],
    _org("mfg-300", sector="manufacturing", employees=300),
    _org("mfg-301", sector="manufacturing", employees=301),
    _org("con-200", sector="construction", employees=200),
    _org("svc-20", sector="services", employees=20),
    _org("svc-50", sector="services", employees=50),
    _org("svc-50-flagged", sector="services", employees=50, is_sme=True),
    _org("mfg-10-flagged", sector="manufacturing", employees=10, is_sme=False),
    _org("tp", kind="technopark", sector="manufacturing", employees=10),
]


def _smes() -> list[str]:
    return sorted(Organisation.objects.filter(is_sme=True).values_list("external_id", flat=True))


@pytest.mark.django_db
def test_import_computes_is_sme_on_bulk_upsert(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "firms.jsonl", IMPORTED)
    import_files([path])
    assert _smes() == ["con-200", "mfg-300", "svc-20", "svc-50-flagged"]

    # Upsert recomputes it.
    grown = write_jsonl(tmp_path / "grown.jsonl", [
        _org("mfg-300", sector="manufacturing", employees=301),
        _org("svc-50", sector="services", employees=50, is_sme=True),
    ])
    import_files([grown])
    assert _smes() == ["con-200", "svc-20", "svc-50", "svc-50-flagged"]


@pytest.mark.django_db
@override_settings(CLUSTERHUB_SME_RULE=f"{HERE}.big_service_firms_are_smes")
def test_import_uses_the_configured_rule(tmp_path: Path) -> None:
    import_files([write_jsonl(tmp_path / "firms.jsonl", IMPORTED)])
    assert _smes() == ["svc-20", "svc-50", "svc-50-flagged"]
