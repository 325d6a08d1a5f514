"""Reference data (core/reference/*.jsonl) against the seed's tables.

Reads the JSON Lines files directly; needs no database. The numbers asserted here are the seed's:
Table 3-1 (l.1013-1431, 48 out-of-HQ organisations of GRIs), Table 3-2 (l.1335, staffing
distribution), Table 3-4 (l.1825, pilot clusters and their institutes). See reference/SOURCES.md.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

REF = Path(__file__).resolve().parent.parent / "reference"

ROOT_TECH = {
    "casting", "mould", "plastic_working", "welding", "surface_treatment", "heat_treatment",
    "injection_press", "precision_machining", "additive_manufacturing", "industrial_film",
    "robots", "sensors", "industrial_software", "engineering_design",
}
INDUSTRIES = {
    "electronics", "photonics", "automotive_parts", "machinery", "parts_materials",
    "medical_devices", "food", "electrical", "chemistry", "ict", "bio", "nano",
}
REGIONS = {
    "11": "서울", "26": "부산", "27": "대구", "28": "인천", "29": "광주", "30": "대전",
    "31": "울산", "36": "세종", "41": "경기", "51": "강원", "43": "충북", "44": "충남",
    "52": "전북", "46": "전남", "47": "경북", "48": "경남", "50": "제주",
}
KINDS = {"firm", "gri", "gri_centre", "university", "technopark", "ric", "agency", "finance"}
# The keys each record type takes (the importer refuses unknown fields), besides "type".
KEYS = {
    "region": {"id", "name", "short_name", "name_en"},
    "field": {"id", "name", "name_en", "parent"},
    "organisation": {
        "id", "name", "name_en", "kind", "parent", "region", "sector", "employees", "is_sme",
        "fields", "keywords", "address", "url", "branch_category", "location", "staff",
        "facilities", "budget_2004_eok", "budget_2005_eok", "budget_2006_eok", "sales_mkrw",
        "rnd_mkrw", "exports_mkrw", "innobiz", "venture", "is_support_desk", "source", "note",
    },
    "cluster": {"id", "name", "name_en", "region", "complex", "strategic_industries",
                "institutes", "description", "source"},
}
TABLE_3_1 = re.compile(r"^Table 3-1 \(l\.(\d+)\)$")


def load(name: str) -> list[dict]:
    path = REF / name
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n"), f"{name}: last line must end with a newline"
    records = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        assert line.strip(), f"{name}:{lineno}: blank line"
        assert "\\u" not in line, f"{name}:{lineno}: write UTF-8 (ensure_ascii=False)"
        record = json.loads(line)
        assert isinstance(record, dict), f"{name}:{lineno}: not an object"
        records.append(record)
    return records


@pytest.fixture(scope="module")
def regions() -> list[dict]:
    return load("regions.jsonl")


@pytest.fixture(scope="module")
def fields() -> list[dict]:
    return load("fields.jsonl")


@pytest.fixture(scope="module")
def orgs() -> list[dict]:
    return load("organisations.jsonl")


@pytest.fixture(scope="module")
def clusters() -> list[dict]:
    return load("clusters.jsonl")


@pytest.fixture(scope="module")
def region_keys(regions: list[dict]) -> set[str]:
    return {r["id"] for r in regions} | {r["short_name"] for r in regions}


@pytest.fixture(scope="module")
def centres(orgs: list[dict]) -> list[dict]:
    """The out-of-HQ organisations transcribed from Table 3-1."""
    return [o for o in orgs if o["kind"] == "gri_centre" and TABLE_3_1.match(o["source"] or "")]


@pytest.mark.parametrize(("name", "rtype"), [
    ("regions.jsonl", "region"), ("fields.jsonl", "field"),
    ("organisations.jsonl", "organisation"), ("clusters.jsonl", "cluster"),
])
def test_records_have_type_unique_ids_and_known_keys(name: str, rtype: str) -> None:
    records = load(name)
    assert records
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for r in records:
        assert r["type"] == rtype
        assert isinstance(r["id"], str) and 0 < len(r["id"]) <= 64
        assert set(r) - {"type"} == KEYS[rtype], (r["id"], set(r) ^ (KEYS[rtype] | {"type"}))


def test_regions(regions: list[dict]) -> None:
    assert len(regions) == 17
    assert len({r["id"] for r in regions}) == 17
    assert len({r["short_name"] for r in regions}) == 17
    assert {r["id"]: r["short_name"] for r in regions} == REGIONS
    for r in regions:
        assert r["name"].startswith(r["short_name"][0]) and r["name_en"]
    assert {r["id"]: r["name"] for r in regions}["48"] == "경상남도"
    assert {r["id"]: r["name"] for r in regions}["51"] == "강원특별자치도"
    assert {r["id"]: r["name"] for r in regions}["52"] == "전북특별자치도"


def test_field_parents_exist_and_come_first(fields: list[dict]) -> None:
    seen: set[str] = set()
    for f in fields:
        assert f["name"] and f["name_en"]
        if f["parent"] is not None:
            assert f["parent"] in seen, f"{f['id']}: parent {f['parent']} missing or later"
        seen.add(f["id"])
    assert {f["id"] for f in fields if f["parent"] is None} == {"root-tech", "industry"}


def test_root_technologies_and_industries(fields: list[dict]) -> None:
    by_parent: dict[str, set[str]] = {}
    for f in fields:
        by_parent.setdefault(f["parent"], set()).add(f["id"])
    assert by_parent["root-tech"] == ROOT_TECH and len(ROOT_TECH) == 14
    assert by_parent["industry"] == INDUSTRIES and len(INDUSTRIES) == 12
    names = {f["id"]: f["name"] for f in fields}
    assert names["casting"] == "주조" and names["welding"] == "용접·접합"
    assert names["industrial_software"] == "산업지능형 소프트웨어"
    assert names["machinery"] == "기계·메카트로닉스" and names["medical_devices"] == "의료·실버기기"
    for tech in ROOT_TECH:  # a second level under every root technology
        children = by_parent.get(tech, set())
        assert 3 <= len(children) <= 6, (tech, children)
        assert all(c.startswith(tech + "-") for c in children)
    assert {"casting-die", "casting-sand", "casting-investment"} <= by_parent["casting"]
    assert {"mould-injection", "mould-press"} <= by_parent["mould"]
    assert names["casting-die"] == "다이캐스팅"


def test_table_3_1_count_and_order(centres: list[dict], orgs: list[dict]) -> None:
    # l.1008: 48 out-of-HQ organisations; every gri_centre comes from Table 3-1.
    assert len(centres) == 48
    assert len([o for o in orgs if o["kind"] == "gri_centre"]) == 48
    lines = [int(TABLE_3_1.match(o["source"]).group(1)) for o in centres]
    assert lines == sorted(lines) and len(set(lines)) == 48
    assert 1013 < lines[0] and lines[-1] < 1432


def test_table_3_1_categories(centres: list[dict]) -> None:
    assert Counter(o["branch_category"] for o in centres) == {
        "부설": 5, "분원": 8, "분소(지역센터)": 6, "기타(지역센터)": 14, "기타(센터)": 2,
        "기타(출장소)": 3, "기타(기지)": 1, "기타(연구소)": 1, "기타(실험동)": 1,
        "기타(사무실)": 2, "기타(지원)": 3, "기타(천문대)": 2,
    }
    # 14 research-council institutes are named as parents, plus 국보(연) (itself a 부설 row).
    assert Counter(o["parent"] for o in centres) == {
        "kbsi": 11, "kitech": 11, "kordi": 4, "keri": 3, "kisti": 4, "etri": 3, "kribb": 2,
        "kari": 2, "kasi": 2, "krict": 1, "kist": 1, "kimm": 1, "kigam": 1, "kict": 1, "nsri": 1,
    }


def test_table_3_2_staffing_distribution(centres: list[dict]) -> None:
    staff = [o["staff"] for o in centres]
    assert all(s is None or (isinstance(s, int) and s > 0) for s in staff)
    staffed = [s for s in staff if s is not None]
    assert len(staffed) == 41  # l.1010 and Table 3-2 총계
    assert staff.count(None) == 7  # (건설 중 또는 인원 없음) (7 개)
    buckets = Counter(
        "<=5" if s <= 5 else "<=10" if s <= 10 else "<=20" if s <= 20 else
        "<=50" if s <= 50 else "<=100" if s <= 100 else ">100"
        for s in staffed
    )
    assert buckets == {"<=5": 17, "<=10": 7, "<=20": 4, "<=50": 4, "<=100": 4, ">100": 5}
    assert round(100 * buckets["<=5"] / len(staffed)) == 41  # l.1011: 17개(41%)


def test_table_3_1_values(orgs: list[dict]) -> None:
    by_id = {o["id"]: o for o in orgs}

    def row(oid: str) -> tuple:
        o = by_id[oid]
        return (o["parent"], o["region"], o["location"], o["staff"], o["budget_2004_eok"],
                o["budget_2005_eok"], o["budget_2006_eok"])

    assert row("kbsi-nfrc") == ("kbsi", "대전", "대전 유성", 98, None, None, 372)
    assert row("nsri") == ("etri", "대전", "대전유성구", 210, 366, 387, 409)
    assert row("kimm-materials") == ("kimm", "경남", "경남 창원", 183, 402, 450, 391)
    assert row("kitech-incheon") == ("kitech", "인천", "인천시서구", 141, 542, 530, 556)
    assert row("kitech-busan") == ("kitech", "부산", "부산시금정구", 1, 0, 45, 47)
    assert row("kitech-macheon") == ("kitech", "경남", "경남진해시", 1, 1, 1, 1)
    assert row("kari-space-center") == ("kari", "전남", "전남, 고흥", None, 350, 360, 753)
    assert row("kari-aircraft-test") == ("kari", "전남", "전남, 고흥", None, 40, None, None)
    assert row("kbsi-gangneung") == ("kbsi", "강원", "강원 강릉", None, None, None, 9)
    assert row("kordi-donghae") == ("kordi", "경북", "경북 울진", None, 9, 9, 30)
    assert row("keri-ansan") == ("keri", "경기", "경기 안산", None, 89, 62, 118)
    assert row("keri-uiwang") == ("keri", "경기", "경기 의왕", 53, 78, 93, 98)
    assert row("nsri-seoul") == ("nsri", "서울", "서울강남구", 4, None, None, None)
    assert row("kasi-sobaeksan") == ("kasi", "충북", "충북단양", 6, 2, 2, 2)
    assert by_id["kist-gangneung"]["region"] == "강원"  # 강릉시 대전동, not 대전
    # Rows with a discrepancy or an unusual reading carry a note.
    for oid in ("keri-ansan", "keri-uiwang", "kitech-macheon", "kordi-donghae",
                "kbsi-gangneung", "kist-gangneung"):
        assert by_id[oid]["note"], oid


def test_organisation_references(orgs: list[dict], fields: list[dict],
                                 region_keys: set[str]) -> None:
    field_ids = {f["id"] for f in fields}
    seen: set[str] = set()
    for o in orgs:
        assert o["kind"] in KINDS, o["id"]
        assert o["name"] and len(o["name"]) <= 200
        assert isinstance(o["source"], str) and o["source"].strip() and len(o["source"]) <= 200
        if o["parent"] is not None:
            assert o["parent"] in seen, f"{o['id']}: parent {o['parent']} missing or later"
        assert o["region"] in region_keys, o["id"]
        assert set(o["fields"]) <= field_ids, (o["id"], set(o["fields"]) - field_ids)
        assert o["keywords"] and all(isinstance(k, str) and k for k in o["keywords"]), o["id"]
        for key in ("staff", "employees"):
            assert o[key] is None or (isinstance(o[key], int) and o[key] >= 0)
        seen.add(o["id"])
    kinds = Counter(o["kind"] for o in orgs)
    assert kinds["gri_centre"] == 48 and kinds["technopark"] >= 7
    for o in orgs:
        if o["kind"] == "gri_centre":
            assert o["parent"] and o["branch_category"] and o["location"]
        if o["kind"] == "gri":
            assert o["parent"] is None


def test_support_organisations(orgs: list[dict]) -> None:
    by_id = {o["id"]: o for o in orgs}
    tps = [o for o in orgs if o["kind"] == "technopark"]
    assert {o["region"] for o in tps} >= {"경남", "경북", "울산", "광주", "강원", "경기", "전북"}
    for o in tps:
        assert o["is_support_desk"] is True
        assert o["source"].startswith("cluster support organisation (not in Table 3-1)")
    for oid in ("kitech", "keti", "ktl", "auto-parts-innovation-center",
                "parts-materials-research-group"):
        assert by_id[oid]["source"].startswith("Table 3-"), oid


def test_clusters(clusters: list[dict], orgs: list[dict], fields: list[dict],
                  region_keys: set[str]) -> None:
    org_ids = {o["id"] for o in orgs}
    field_ids = {f["id"] for f in fields}
    assert len(clusters) == 7
    for c in clusters:
        assert c["region"] in region_keys
        assert c["strategic_industries"] and set(c["strategic_industries"]) <= field_ids
        assert c["institutes"] and set(c["institutes"]) <= org_ids
        assert c["description"] and c["complex"]
        assert isinstance(c["source"], str) and c["source"].strip() and len(c["source"]) <= 200
    by_id = {c["id"]: c for c in clusters}
    expected = {
        "changwon": ("경남", "machinery"), "gumi": ("경북", "electronics"),
        "ulsan": ("울산", "automotive_parts"), "banwol-sihwa": ("경기", "parts_materials"),
        "gwangju": ("광주", "photonics"), "wonju": ("강원", "medical_devices"),
        "gunsan": ("전북", "machinery"),
    }
    assert set(by_id) == set(expected)
    for cid, (region, industry) in expected.items():
        assert by_id[cid]["region"] == region and industry in by_id[cid]["strategic_industries"]
    # Table 3-4's institutes
    assert by_id["changwon"]["institutes"] == ["kitech"]
    assert set(by_id["gumi"]["institutes"]) == {"keti", "kitech"}
    assert set(by_id["ulsan"]["institutes"]) == {"auto-parts-innovation-center", "kitech"}
    assert by_id["banwol-sihwa"]["institutes"] == ["parts-materials-research-group"]
    assert by_id["gwangju"]["institutes"] == ["keti"]
    assert set(by_id["wonju"]["institutes"]) == {"kitech", "ktl"}


def test_sources_document() -> None:
    text = (REF / "SOURCES.md").read_text(encoding="utf-8")
    for name in ("regions.jsonl", "fields.jsonl", "organisations.jsonl", "clusters.jsonl"):
        assert name in text
    for needle in ("Table 3-1", "Table 3-2", "Table 3-4", "Discrepancies"):
        assert needle in text
