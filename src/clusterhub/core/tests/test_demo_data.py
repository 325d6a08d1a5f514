"""The demo dataset generator (core/demo_data.py): generated into a file, checked without a DB."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from clusterhub.core import demo_data
from clusterhub.core.sme import SEED_EMPLOYEE_CEILINGS

REF = Path(__file__).resolve().parent.parent / "reference"
HANGUL = re.compile("[가-힣]")
SUPPORT_TYPES = {"guidance", "joint_rnd", "contract_research", "tech_transfer", "testing",
                 "prototype", "equipment", "training", "consulting"}
# Keys each record type may carry (the importer refuses others), besides "type".
KEYS = {
    "organisation": {
        "id", "name", "name_en", "kind", "parent", "region", "sector", "employees", "is_sme",
        "fields", "keywords", "address", "url", "branch_category", "location", "staff",
        "facilities", "budget_2004_eok", "budget_2005_eok", "budget_2006_eok", "sales_mkrw",
        "rnd_mkrw", "exports_mkrw", "innobiz", "venture", "is_support_desk", "source", "note",
    },
    "expert": {"id", "name", "organisation", "title", "keywords", "bio", "fields", "capacity",
               "email", "phone"},
    "case": {"id", "title", "problem", "solution", "support_type", "region", "year", "experts",
             "firm", "fields", "outcome"},
}


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("demo") / "demo.jsonl"
    return path, demo_data.write(path, REF, 2006)


@pytest.fixture(scope="module")
def records(generated: tuple[Path, int]) -> list[dict[str, Any]]:
    return _read(generated[0])


@pytest.fixture(scope="module")
def reference() -> dict[str, list[dict[str, Any]]]:
    return {name: _read(REF / f"{name}.jsonl")
            for name in ("regions", "fields", "organisations", "clusters")}


def _of(records: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in records if r["type"] == kind]


def test_deterministic_for_a_seed(tmp_path: Path, generated: tuple[Path, int]) -> None:
    again = tmp_path / "again.jsonl"
    assert demo_data.write(again, REF, 2006) == generated[1]
    assert again.read_bytes() == generated[0].read_bytes()
    other = tmp_path / "other.jsonl"
    demo_data.write(other, REF, 7)
    assert other.read_bytes() != generated[0].read_bytes()


def test_count_and_utf8(generated: tuple[Path, int], records: list[dict[str, Any]]) -> None:
    path, count = generated
    assert count == len(records)
    assert "\\u" not in path.read_text(encoding="utf-8")  # ensure_ascii=False: Korean as is


def test_counts(records: list[dict[str, Any]]) -> None:
    orgs = _of(records, "organisation")
    assert len([o for o in orgs if o["kind"] == "firm"]) >= 250
    assert len([o for o in orgs if o["kind"] == "university"]) >= 6
    assert len(_of(records, "expert")) >= 100
    assert len(_of(records, "case")) >= 200


def test_only_known_keys(records: list[dict[str, Any]]) -> None:
    for record in records:
        assert set(record) - {"type"} <= KEYS[record["type"]], record["id"]


def test_unique_ids_and_dependency_order(records: list[dict[str, Any]],
                                         reference: dict[str, list[dict[str, Any]]]) -> None:
    for kind in ("organisation", "expert", "case"):
        ids = Counter(r["id"] for r in _of(records, kind))
        assert not [i for i, n in ids.items() if n > 1], kind
    ref_orgs = {o["id"] for o in reference["organisations"]}
    assert not ref_orgs & {o["id"] for o in _of(records, "organisation")}
    order = [r["type"] for r in records]
    assert order == sorted(order, key=["organisation", "expert", "case"].index)
    assert all(re.fullmatch(r"f-\d{4}", o["id"]) for o in _of(records, "organisation")
               if o["kind"] == "firm")
    assert all(re.fullmatch(r"e-\d{4}", e["id"]) for e in _of(records, "expert"))
    for case in _of(records, "case"):
        assert re.fullmatch(rf"c-{case['year']}-\d{{3}}", case["id"])
        assert 2000 <= case["year"] <= 2006


def test_every_reference_resolves(records: list[dict[str, Any]],
                                  reference: dict[str, list[dict[str, Any]]]) -> None:
    regions = {r["id"] for r in reference["regions"]} | {
        r["short_name"] for r in reference["regions"]}
    fields = {f["id"] for f in reference["fields"]}
    orgs = {o["id"]: o for o in reference["organisations"] + _of(records, "organisation")}
    experts = {e["id"]: e for e in _of(records, "expert")}
    for org in _of(records, "organisation"):
        assert org["region"] in regions, org["id"]
        assert set(org["fields"]) <= fields, org["id"]
        assert org.get("parent") is None or org["parent"] in orgs, org["id"]
    for expert in experts.values():
        assert expert["organisation"] in orgs, expert["id"]
        assert orgs[expert["organisation"]]["kind"] in {"gri", "gri_centre", "technopark",
                                                        "university"}
        assert expert["fields"] and set(expert["fields"]) <= fields, expert["id"]
    for case in _of(records, "case"):
        assert case["region"] in regions, case["id"]
        assert orgs[case["firm"]]["kind"] == "firm", case["id"]
        assert 1 <= len(case["experts"]) <= 2 and set(case["experts"]) <= set(experts)
        assert case["fields"] and set(case["fields"]) <= fields, case["id"]


def _category(fields: dict[str, dict[str, Any]], fid: str) -> str:
    while fields[fid]["parent"] not in ("root-tech", "industry"):
        fid = fields[fid]["parent"]
    return fid


def test_case_experts_match_its_fields(records: list[dict[str, Any]],
                                       reference: dict[str, list[dict[str, Any]]]) -> None:
    fields = {f["id"]: f for f in reference["fields"]}
    experts = {e["id"]: e for e in _of(records, "expert")}
    for case in _of(records, "case"):
        wanted = {_category(fields, f) for f in case["fields"]}
        for eid in case["experts"]:
            have = {_category(fields, f) for f in experts[eid]["fields"]}
            assert have & wanted, (case["id"], eid)


def test_all_support_types(records: list[dict[str, Any]]) -> None:
    types = Counter(c["support_type"] for c in _of(records, "case"))
    assert set(types) == SUPPORT_TYPES
    assert types.most_common(1)[0][0] == "guidance"


def test_cases_are_korean_text(records: list[dict[str, Any]]) -> None:
    cases = _of(records, "case")
    for case in cases:
        for key in ("title", "problem", "solution", "outcome"):
            assert HANGUL.search(case[key]), (case["id"], key)
            assert "{" not in case[key] and "}" not in case[key], (case["id"], key)
            assert "lorem" not in case[key].lower()
    assert len({c["title"] for c in cases}) >= 150  # variable parts make cases read differently


def test_every_root_technology_and_industry_has_experts(
        records: list[dict[str, Any]], reference: dict[str, list[dict[str, Any]]]) -> None:
    fields = {f["id"]: f for f in reference["fields"]}
    covered = {_category(fields, f) for e in _of(records, "expert") for f in e["fields"]}
    for top in ("root-tech", "industry"):
        children = {fid for fid, f in fields.items() if f["parent"] == top}
        assert children and children <= covered, children - covered


def test_experts_look_real(records: list[dict[str, Any]]) -> None:
    experts = _of(records, "expert")
    assert len({e["name"] for e in experts}) == len(experts)
    assert len({e["email"] for e in experts}) == len(experts)
    for expert in experts:
        assert HANGUL.fullmatch(expert["name"][0]) and 2 <= len(expert["name"]) <= 4
        assert 2 <= expert["capacity"] <= 8
        assert HANGUL.search(expert["bio"]) and expert["keywords"]
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d*@[a-z.]+\.example", expert["email"])


def test_firms(records: list[dict[str, Any]],
               reference: dict[str, list[dict[str, Any]]]) -> None:
    firms = [o for o in _of(records, "organisation") if o["kind"] == "firm"]
    assert len({f["name"] for f in firms}) == len(firms)

    def sme(firm: dict[str, Any]) -> bool:
        return firm["employees"] <= SEED_EMPLOYEE_CEILINGS[firm["sector"]]

    not_smes = [f for f in firms if not sme(f)]
    assert any(f["sector"] == "manufacturing" for f in not_smes)  # a few large firms
    assert any(f["sector"] == "services" for f in not_smes)  # 30-60 staff in services
    assert len(not_smes) < len(firms) / 5
    cluster_regions = {r["short_name"] for r in reference["regions"]
                       if any(c["region"] in (r["id"], r["short_name"])
                              for c in reference["clusters"])}
    share = sum(f["region"] in cluster_regions for f in firms) / len(firms)
    assert 0.6 <= share <= 0.85
    assert Counter(f["sector"] for f in firms).most_common(1)[0][0] == "manufacturing"
    for firm in firms:
        assert 1 <= len(firm["fields"]) <= 2 and firm["keywords"] and firm["address"]
        assert firm["sales_mkrw"] >= firm["rnd_mkrw"] >= 0
        assert firm["sales_mkrw"] >= firm["exports_mkrw"] >= 0
    assert 0.08 <= sum(f["innobiz"] for f in firms) / len(firms) <= 0.25
    assert 0.12 <= sum(f["venture"] for f in firms) / len(firms) <= 0.3


def test_case_firms_mostly_in_the_experts_region(
        records: list[dict[str, Any]], reference: dict[str, list[dict[str, Any]]]) -> None:
    regions = {r["id"]: r["short_name"] for r in reference["regions"]}
    orgs = {o["id"]: o for o in reference["organisations"] + _of(records, "organisation")}
    experts = {e["id"]: e for e in _of(records, "expert")}
    cases = _of(records, "case")
    same = 0
    for case in cases:
        org_region = orgs[experts[case["experts"][0]]["organisation"]]["region"]
        same += regions.get(org_region, org_region) == case["region"]
        assert orgs[case["firm"]]["region"] == case["region"]
    assert same / len(cases) >= 0.5
