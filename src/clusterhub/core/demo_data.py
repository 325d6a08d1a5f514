"""The demo dataset: firms, universities, experts and solved cases as JSON Lines records.

Pure Python (stdlib only, no Django), deterministic for a seed. The reference data (regions,
fields, organisations, clusters) is read from `reference_dir` at run time; the records made here
refer to it by id and are meant to be imported after it (`clusterhub load-reference`). Records
come in dependency order: organisations, then experts, then cases. Formats: docs/records.md.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import demo_text as text

SUPPORT_TYPES: list[str] = [
    "guidance", "joint_rnd", "contract_research", "tech_transfer", "testing", "prototype",
    "equipment", "training", "consulting",
]
# Relative frequency of support types among the cases (guidance, testing and joint R&D lead).
SUPPORT_WEIGHTS: dict[str, int] = {
    "guidance": 28, "testing": 18, "joint_rnd": 16, "contract_research": 7, "tech_transfer": 6,
    "prototype": 7, "equipment": 6, "training": 5, "consulting": 7,
}
# The SME rule of the seed (l.158-161); mirrors clusterhub.core.sme, which needs Django.
SME_CEILINGS: dict[str, int] = {
    "mining": 300, "manufacturing": 300, "fisheries": 300, "transport": 300,
    "construction": 200, "commerce": 20, "services": 20,
}
ROOT_TECH = "root-tech"
INDUSTRY = "industry"
CLUSTER_FIRM_SHARE = 0.7
N_FIRMS = 300
EXPERTS_PER_TECH = 6
EXPERTS_PER_INDUSTRY = 3
CASES_PER_YEAR: dict[int, int] = {
    2000: 22, 2001: 26, 2002: 30, 2003: 34, 2004: 38, 2005: 42, 2006: 48,
}
# Sectors of the firms besides manufacturing (counts out of N_FIRMS).
OTHER_SECTORS: dict[str, int] = {"services": 15, "commerce": 9, "construction": 6}
LARGE_FIRMS = 10  # manufacturers with 400-3000 employees: not SMEs
EXPERT_KINDS = ("gri", "gri_centre", "technopark", "university")


def is_sme(sector: str | None, employees: int | None) -> bool:
    """The seed's SME rule for a firm (regular employees within the sector's ceiling)."""
    if sector is None or employees is None or sector not in SME_CEILINGS:
        return False
    return employees <= SME_CEILINGS[sector]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass
class Reference:
    """The reference records the demo data refers to."""

    regions: list[dict[str, Any]]
    fields: dict[str, dict[str, Any]]
    organisations: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    region_by_key: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, reference_dir: Path) -> Reference:
        ref = cls(
            regions=_read_jsonl(reference_dir / "regions.jsonl"),
            fields={r["id"]: r for r in _read_jsonl(reference_dir / "fields.jsonl")},
            organisations=_read_jsonl(reference_dir / "organisations.jsonl"),
            clusters=_read_jsonl(reference_dir / "clusters.jsonl"),
        )
        for region in ref.regions:
            ref.region_by_key[region["id"]] = region
            ref.region_by_key[region["short_name"]] = region
        return ref

    def short(self, region: str | None) -> str | None:
        """The Korean short name of a region given by code or short name."""
        if region is None:
            return None
        return str(self.region_by_key[region]["short_name"])

    def children(self, parent: str) -> list[str]:
        return [fid for fid, rec in self.fields.items() if rec.get("parent") == parent]

    def category(self, fid: str) -> str | None:
        """The root technology or cluster industry a field belongs to (itself if it is one)."""
        seen = 0
        while fid in self.fields and seen < 10:
            parent = self.fields[fid].get("parent")
            if parent in (ROOT_TECH, INDUSTRY):
                return fid
            if parent is None:
                return None
            fid, seen = parent, seen + 1
        return None

    def categories(self, fids: list[str]) -> list[str]:
        out: list[str] = []
        for fid in fids:
            cat = self.category(fid)
            if cat is not None and cat not in out:
                out.append(cat)
        return out

    def name(self, fid: str) -> str:
        return str(self.fields[fid]["name"])


def _unique(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]] | list[tuple[Any, float]]) -> Any:
    values = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(values, weights=weights, k=1)[0]


def _least_used(rng: random.Random, items: list[Any], uses: Counter[str], key: str = "id") -> Any:
    """One of the least-used items (by `uses[item[key]]`), chosen at random among equals."""
    low = min(uses[item[key]] for item in items)
    return rng.choice([item for item in items if uses[item[key]] == low])


def _fill(slots: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Values for a scenario's slots: a list is chosen from, a tuple is a random integer."""
    values: dict[str, Any] = {}
    for name, spec in slots.items():
        if isinstance(spec, list):
            values[name] = rng.choice(spec)
        elif len(spec) == 2:
            values[name] = rng.randint(spec[0], spec[1])
        else:
            values[name] = rng.randrange(spec[0], spec[1] + 1, spec[2])
    return values


# ---------------------------------------------------------------------------------------------
# Organisations: universities and firms
# ---------------------------------------------------------------------------------------------


def _universities(ref: Reference) -> list[dict[str, Any]]:
    records = []
    for uid, name, region, fields in text.UNIVERSITIES:
        records.append({
            "type": "organisation", "id": uid, "name": name, "name_en": text.UNIVERSITY_EN[uid],
            "kind": "university", "parent": "hanyang" if uid == "univ-hanyang-erica" else None,
            "region": region, "fields": [f for f in fields if f in ref.fields],
            "keywords": _unique([text.KEYWORDS[f][0] for f in fields if f in text.KEYWORDS]),
            "address": text.UNIVERSITY_ADDRESS[uid],
        })
    known = {o["id"] for o in ref.organisations}
    for rec in records:  # a parent that the reference data lacks is left out
        if rec["parent"] not in known:
            rec["parent"] = None
    return records


@dataclass
class FirmPlan:
    region: str
    complex_site: tuple[str, str] | None  # (city, complex) of the cluster, if any
    industries: list[str]
    cluster_techs: list[str]


def _firm_plans(ref: Reference, rng: random.Random) -> list[FirmPlan]:
    """Where the firms are: CLUSTER_FIRM_SHARE in the pilot clusters' regions, the rest spread."""
    plans: list[FirmPlan] = []
    clusters = ref.clusters
    in_clusters = round(N_FIRMS * CLUSTER_FIRM_SHARE)
    for i in range(in_clusters):
        cluster = clusters[i % len(clusters)]
        region = ref.short(cluster["region"]) or ""
        strategic = [f for f in cluster.get("strategic_industries", []) if f in ref.fields]
        industries = [f for f in strategic if ref.fields[f].get("parent") == INDUSTRY]
        techs = [f for f in strategic if f not in industries
                 and ref.category(f) in ref.children(ROOT_TECH)]
        if not industries:  # a cluster named only by technologies: its technologies' industries
            industries = ["machinery"]
        site = (text.CLUSTER_CITY.get(region, ""), cluster.get("complex") or "")
        plans.append(FirmPlan(region, site, industries, techs))
    rest = N_FIRMS - in_clusters
    total = sum(w for _, w, _ in text.OTHER_REGIONS)
    for region, weight, industries in text.OTHER_REGIONS:
        for _ in range(round(rest * weight / total)):
            plans.append(FirmPlan(region, None, industries, []))
    while len(plans) < N_FIRMS:  # rounding
        region, _, industries = text.OTHER_REGIONS[len(plans) % len(text.OTHER_REGIONS)]
        plans.append(FirmPlan(region, None, industries, []))
    del plans[N_FIRMS:]
    rng.shuffle(plans)
    return plans


def _employees(rng: random.Random, sector: str, large: bool) -> int:
    if large:
        return int(400 * math.exp(rng.uniform(0.0, math.log(7.5))))
    if sector == "services":
        return rng.randint(30, 60) if rng.random() < 0.5 else rng.randint(5, 20)
    if sector == "commerce":
        return rng.randint(4, 18)
    if sector == "construction":
        return rng.randint(20, 180)
    return max(5, min(290, int(rng.lognormvariate(math.log(32), 0.8))))


def _tech_field(ref: Reference, rng: random.Random, tech: str) -> str:
    """A child of a root technology (casting-die...) where the taxonomy has one."""
    children = ref.children(tech)
    return rng.choice(children) if children else tech


def _firm_name(rng: random.Random, suffixes: list[str], taken: set[str]) -> str:
    for _ in range(200):
        base = rng.choice(text.FIRM_PREFIXES) + rng.choice(suffixes)
        if base not in taken:
            break
    else:  # pragma: no cover - the name parts allow far more names than firms
        base = rng.choice(text.FIRM_PREFIXES) + rng.choice(suffixes) + str(len(taken))
    taken.add(base)
    form = rng.random()
    if form < 0.5:
        return f"(주){base}"
    if form < 0.6:
        return f"주식회사 {base}"
    if form < 0.7:
        return f"{base}(주)"
    return base


def _sectors(rng: random.Random) -> list[str]:
    sectors = [s for s, n in OTHER_SECTORS.items() for _ in range(n)]
    sectors += ["manufacturing"] * (N_FIRMS - len(sectors))
    rng.shuffle(sectors)
    return sectors


def _firms(ref: Reference, rng: random.Random) -> list[dict[str, Any]]:
    plans = _firm_plans(ref, rng)
    sectors = _sectors(rng)
    manufacturers = [k for k, sector in enumerate(sectors) if sector == "manufacturing"]
    large_firms = set(rng.sample(manufacturers, k=min(LARGE_FIRMS, len(manufacturers))))
    taken: set[str] = set()
    firms: list[dict[str, Any]] = []
    for i, (plan, sector) in enumerate(zip(plans, sectors, strict=True), start=1):
        # Industry: mostly the cluster's strategic industry, sometimes a neighbouring one.
        side = text.CLUSTER_SIDE_INDUSTRIES.get(plan.region, [])
        if plan.complex_site and side and rng.random() < 0.2:
            industry = rng.choice(side)
        else:
            industry = rng.choice(plan.industries)
        # Technology: the cluster's own, or one that firms of the industry typically use.
        if plan.cluster_techs and rng.random() < 0.4:
            tech_field = rng.choice(plan.cluster_techs)
            if tech_field == ref.category(tech_field):
                tech_field = _tech_field(ref, rng, tech_field)
        else:
            techs = [t for t in text.INDUSTRY_TECH.get(industry, ["engineering_design"])
                     if t in ref.fields]
            tech = _weighted(rng, [(t, len(techs) - k) for k, t in enumerate(techs)])
            tech_field = _tech_field(ref, rng, tech)
        tech = ref.category(tech_field) or tech_field
        large = i - 1 in large_firms
        employees = _employees(rng, sector, large)
        if sector == "manufacturing":
            fields = [industry, tech_field]
            suffix_key = tech if rng.random() < 0.6 else industry
        elif sector == "services":
            tech_field = rng.choice(["engineering_design", "industrial_software",
                                     "sensors-measurement", "engineering_design-reliability"])
            tech_field = tech_field if tech_field in ref.fields else "engineering_design"
            tech = ref.category(tech_field) or tech_field
            fields, suffix_key = [industry, tech_field], "services"
        elif sector == "construction":
            tech_field = "welding-arc" if "welding-arc" in ref.fields else "welding"
            tech = "welding"
            fields, suffix_key = [industry, tech_field], "construction"
        else:
            fields, suffix_key = [industry], "commerce"
        name = _firm_name(rng, text.FIRM_SUFFIXES[suffix_key], taken)
        # Money (million KRW): sales per employee by sector, R&D and exports as shares of it.
        per_head = {"manufacturing": (140, 380), "services": (60, 140), "commerce": (300, 900),
                    "construction": (150, 400)}[sector]
        sales = int(employees * rng.uniform(*per_head) * (1.3 if large else 1.0))
        sme = is_sme(sector, employees)
        venture = sme and sector in ("manufacturing", "services") and rng.random() < 0.21
        innobiz = sme and sector == "manufacturing" and rng.random() < (0.3 if venture else 0.15)
        rnd_share = rng.uniform(3, 9) if (venture or innobiz) else rng.uniform(0.3, 3)
        if sector in ("commerce", "construction"):
            rnd_share = 0.0
        exports = 0
        if sector == "manufacturing" and rng.random() < 0.55:
            exports = int(sales * rng.uniform(0.05, 0.6))
        if plan.complex_site and rng.random() < 0.8:
            city, complex_name = plan.complex_site
        else:
            city, complex_name = rng.choice(text.REGION_SITES[plan.region])
        region_name = ref.region_by_key[plan.region]["name"]
        address = (f"{region_name} {city} {complex_name} "
                   f"{rng.randint(1, 12)}블록 {rng.randint(1, 40)}로트")
        tech_words = text.KEYWORDS.get(tech_field) or text.KEYWORDS.get(tech, [])
        products = text.PRODUCTS.get(industry, [])
        keywords = rng.sample(tech_words, k=min(2, len(tech_words)))
        keywords += rng.sample(products, k=min(2, len(products)))
        firms.append({
            "type": "organisation", "id": f"f-{i:04d}", "name": name, "kind": "firm",
            "region": plan.region, "sector": sector, "employees": employees,
            "fields": _unique([f for f in fields if f in ref.fields]),
            "keywords": _unique(keywords), "address": address,
            "sales_mkrw": sales, "rnd_mkrw": int(sales * rnd_share / 100),
            "exports_mkrw": exports, "innobiz": innobiz, "venture": venture,
        })
    return firms


# ---------------------------------------------------------------------------------------------
# Experts
# ---------------------------------------------------------------------------------------------


def _email_domain(org: dict[str, Any]) -> str:
    oid = str(org.get("parent") or org["id"]) if org["kind"] == "gri_centre" else str(org["id"])
    if oid.startswith("univ-"):
        return oid.removeprefix("univ-").replace("-", "") + ".ac"
    return oid.replace("-", "")


def _expert_slots(ref: Reference) -> list[str]:
    """The category (root technology or industry) of each expert to make."""
    techs = ref.children(ROOT_TECH)
    industries = ref.children(INDUSTRY)
    return [t for t in techs for _ in range(EXPERTS_PER_TECH)] + \
        [i for i in industries for _ in range(EXPERTS_PER_INDUSTRY)]


def _experts(ref: Reference, orgs: list[dict[str, Any]], firms: list[dict[str, Any]],
             rng: random.Random) -> list[dict[str, Any]]:
    eligible = [o for o in orgs if o["kind"] in EXPERT_KINDS and o.get("fields")
                and not any(w in o["name"] for w in text.NON_SUPPORT_WORDS)]
    org_cats = {o["id"]: ref.categories(o["fields"]) for o in eligible}
    firms_in = Counter(ref.short(f["region"]) for f in firms)
    fallback = [o for o in eligible if o["kind"] in ("technopark", "university")
                or o["id"] == "kitech"]
    used: Counter[str] = Counter()
    names: set[str] = set()
    emails: set[str] = set()
    heads: set[str] = set()  # organisations that already have a 센터장
    experts: list[dict[str, Any]] = []
    for n, cat in enumerate(_expert_slots(ref), start=1):
        candidates = [o for o in eligible if cat in org_cats[o["id"]]]
        if len(candidates) < 2:
            candidates += [o for o in fallback if o not in candidates]
        org = _weighted(rng, [
            (o, (1 + firms_in[ref.short(o.get("region"))] / 10) / (1 + used[o["id"]]))
            for o in candidates])
        used[org["id"]] += 1
        # Fields: the slot's category (a deeper field where the organisation names one), and
        # sometimes a related industry or technology.
        own = [f for f in org["fields"] if ref.category(f) == cat and f != cat]
        if own:
            primary = rng.choice(own)
        elif cat in ref.children(ROOT_TECH) and rng.random() < 0.5:
            primary = _tech_field(ref, rng, cat)
        else:
            primary = cat
        fields = [primary]
        if cat in ref.children(ROOT_TECH):
            related = [c for c in org_cats[org["id"]] if c != cat]
            related = related or [i for i, ts in text.INDUSTRY_TECH.items() if cat in ts]
        else:
            related = [t for t in text.INDUSTRY_TECH.get(cat, []) if t in ref.fields]
        if related and rng.random() < 0.6:
            fields.append(rng.choice(related))
        fields = _unique([f for f in fields if f in ref.fields])
        # Name, title, e-mail.
        while True:
            surname, roman = _weighted(rng, [((s, r), w) for s, r, w in text.SURNAMES])
            given, initials = rng.choice(text.GIVEN_NAMES)
            if surname + given not in names:
                break
        names.add(surname + given)
        title = _weighted(rng, text.TITLES[org["kind"]])
        if title == "센터장":
            if org["id"] in heads:
                title = "책임연구원"
            heads.add(org["id"])
        local, k = f"{roman}.{initials}", 1
        while f"{local}@{_email_domain(org)}.example" in emails:
            k += 1
            local = f"{roman}.{initials}{k}"
        email = f"{local}@{_email_domain(org)}.example"
        emails.add(email)
        # Keywords and bio.
        words = _unique(text.KEYWORDS.get(primary, []) + text.KEYWORDS.get(cat, []))
        keywords = rng.sample(words, k=min(len(words), rng.randint(3, 5)))
        for extra in fields[1:]:
            more = text.KEYWORDS.get(extra, [])
            if more:
                keywords.append(rng.choice(more))
        keywords = _unique(keywords)
        templates = [t for t in text.BIO_TEMPLATES if "{field2}" not in t or len(fields) > 1]
        bio = rng.choice(templates).format(
            org=org["name"], field=ref.name(primary), field2=ref.name(fields[-1]),
            kw1=keywords[0], kw2=keywords[1], years=rng.randint(6, 24), n=rng.randint(10, 80),
            title=title)
        experts.append({
            "type": "expert", "id": f"e-{n:04d}", "name": surname + given,
            "organisation": org["id"], "title": title, "keywords": keywords, "bio": bio,
            "fields": fields, "capacity": rng.randint(2, 8), "email": email,
        })
    return experts


# ---------------------------------------------------------------------------------------------
# Solved cases
# ---------------------------------------------------------------------------------------------


def _support_types(rng: random.Random, total: int) -> list[str]:
    """One of each type (so that all nine appear), the rest by SUPPORT_WEIGHTS, shuffled."""
    types = list(SUPPORT_TYPES)
    pairs = [(t, SUPPORT_WEIGHTS[t]) for t in SUPPORT_TYPES]
    types += [_weighted(rng, pairs) for _ in range(total - len(types))]
    rng.shuffle(types)
    return types


def _scenarios(ref: Reference) -> list[dict[str, Any]]:
    """The scenario bank with ids and categories, keeping fields the taxonomy knows."""
    out = []
    for group, items in text.SCENARIOS.items():
        for k, item in enumerate(items):
            fields = [f for f in item["f"] if f in ref.fields]
            cats = ref.categories(fields)
            if not cats:
                continue
            out.append({**item, "id": f"{group}-{k}", "fields": fields, "cats": cats})
    return out


def _best_tier(scored: list[tuple[int, dict[str, Any]]], least: int = 3) -> list[dict[str, Any]]:
    """The firms scoring at least the highest floor that still leaves `least` firms."""
    for floor in sorted({score for score, _ in scored}, reverse=True):
        pool = [firm for score, firm in scored if score >= floor]
        if len(pool) >= least:
            return pool
    return [firm for _, firm in scored]


def _cases(ref: Reference, firms: list[dict[str, Any]], experts: list[dict[str, Any]],
           orgs: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    scenarios = _scenarios(ref)
    org_region = {o["id"]: ref.short(o.get("region")) for o in orgs}
    expert_cats = {e["id"]: ref.categories(e["fields"]) for e in experts}
    sme_firms = [f for f in firms if is_sme(f["sector"], f["employees"])]
    firm_cats = {f["id"]: ref.categories(f["fields"]) for f in firms}
    scenario_uses: Counter[str] = Counter()
    expert_uses: Counter[str] = Counter()
    firm_uses: Counter[str] = Counter()
    types = _support_types(rng, sum(CASES_PER_YEAR.values()))
    cases: list[dict[str, Any]] = []
    n = 0
    for year, count in CASES_PER_YEAR.items():
        for number in range(1, count + 1):
            support_type = types[n]
            n += 1
            fitting = [s for s in scenarios
                       if support_type in s["t"] and s.get("y", 2000) <= year] or \
                [s for s in scenarios if s.get("y", 2000) <= year]
            scenario = _least_used(rng, fitting, scenario_uses)
            scenario_uses[scenario["id"]] += 1
            cats = scenario["cats"]
            # Experts of the scenario's field (the first category first).
            matching = [e for e in experts if set(expert_cats[e["id"]]) & set(cats)]
            primary = [e for e in matching if cats[0] in expert_cats[e["id"]]] or matching
            expert_regions = {org_region[e["organisation"]] for e in primary}
            # The firm: an SME with the scenario's fields, in a region with such an expert.
            scored = [(3 * len(set(f["fields"]) & set(scenario["fields"]))
                       + len(set(firm_cats[f["id"]]) & set(cats))
                       + 2 * (ref.short(f["region"]) in expert_regions), f) for f in sme_firms]
            firm = _least_used(rng, _best_tier(scored), firm_uses)
            firm_uses[firm["id"]] += 1
            region = ref.short(firm["region"])
            exact = bool(set(firm["fields"]) & set(scenario["fields"]))
            local = [e for e in primary if org_region[e["organisation"]] == region]
            first = _least_used(rng, local or primary, expert_uses)
            chosen = [first]
            if rng.random() < 0.35:
                others = [e for e in matching if e["id"] != first["id"]]
                near = [e for e in others if org_region[e["organisation"]] == region]
                if others:
                    chosen.append(_least_used(rng, near or others, expert_uses))
            for e in chosen:
                expert_uses[e["id"]] += 1
            values = _fill(scenario["v"], rng)
            fields = list(scenario["fields"])
            industry = next((c for c in firm_cats[firm["id"]] if ref.fields[c].get("parent")
                             == INDUSTRY), None)
            if industry and industry not in cats and len(fields) < 3 and exact:
                fields.append(industry)
            cases.append({
                "type": "case", "id": f"c-{year}-{number:03d}",
                "title": scenario["title"].format(**values),
                "problem": scenario["problem"].format(**values),
                "solution": scenario["solution"].format(**values),
                "support_type": support_type, "region": region, "year": year,
                "experts": [e["id"] for e in chosen], "firm": firm["id"], "fields": fields,
                "outcome": scenario["outcome"].format(**values),
            })
    return cases


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def generate(reference_dir: Path, seed: int = 2006) -> Iterator[dict[str, Any]]:
    """The demo records, organisations first, then experts, then cases; same seed, same data."""
    ref = Reference.load(Path(reference_dir))
    rng = random.Random(seed)
    universities = _universities(ref)
    firms = _firms(ref, rng)
    orgs = ref.organisations + universities
    experts = _experts(ref, orgs, firms, rng)
    cases = _cases(ref, firms, experts, orgs + firms, rng)
    yield from universities
    yield from firms
    yield from experts
    yield from cases


def write(path: Path, reference_dir: Path, seed: int = 2006) -> int:
    """Write the demo records to `path` as JSON Lines; returns how many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for record in generate(reference_dir, seed):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count
