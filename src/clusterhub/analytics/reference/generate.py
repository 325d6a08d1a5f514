"""Activity records that aggregate exactly to the seed's Tables 4-2 to 4-7.

Deterministic: the same seed_tables.json gives byte-identical files. Run
`python -m clusterhub.analytics.reference.generate` to rewrite seed_firms.jsonl and
seed_activities.jsonl beside this file.

How each table row becomes records (the KPI report counts only SME firms, see docs/analytics.md):
- joint R&D: P projects with S distinct SMEs (each project gets at least one SME; SMEs are
  reused when S < P); the government and SME funding rows are split over the projects in whole
  million KRW. Every fifth project also has a large-firm partner, and each institute-year has
  one project with non-SME firms only, which the report must leave out.
- contract research: J jobs from C distinct SME clients, amounts split; plus one job of a
  large firm.
- transfers: T transfers to SMEs with the contracted royalty split; plus one to a large firm.
  The year's receipts are paid first on the oldest transfers' outstanding balances, the rest
  as running royalties on the year's own transfers (receipts may exceed contracts).
- guidance: one record per guided SME, the man-months split in hundredths; plus one large firm.
- training: courses of up to 25 SMEs, trainees split (at least one per firm); plus one course
  for a 50-person service firm (not an SME under the seed's rule).
- a '-' in the seed: no records, and the category is listed as unreported in institute_year.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
YEARS_KEY = "years"
SME_POOL = 2100
REGIONS = ["11", "26", "27", "28", "29", "30", "31", "41", "43", "44", "47", "48"]
CATEGORY_ROWS = {
    "joint_rnd": "joint_rnd_projects", "contract_research": "contract_research_jobs",
    "tech_transfer": "transfers", "guidance": "guidance_firms", "training": "training_smes",
}


def split(total: int, n: int, rng: random.Random, minimum: int = 0) -> list[int]:
    """`total` as `n` non-negative integers (each at least `minimum`) summing exactly."""
    if n <= 0:
        return []
    base = total - minimum * n
    if base < 0:
        raise ValueError(f"cannot split {total} into {n} parts of at least {minimum}")
    weights = [rng.randint(1, 10) for _ in range(n)]
    wsum = sum(weights)
    parts = [base * w // wsum for w in weights]
    for i in range(base - sum(parts)):
        parts[i % n] += 1
    return [p + minimum for p in parts]


def firms() -> list[dict[str, Any]]:
    """Synthetic firms: SMEs (manufacturing, up to 300 staff) and a few non-SMEs."""
    out = []
    for i in range(1, SME_POOL + 1):
        out.append({"type": "organisation", "id": f"seed-sme-{i:04d}",
                    "name": f"시범중소기업 {i:04d}", "kind": "firm", "sector": "manufacturing",
                    "employees": 5 + (i * 37) % 290, "region": REGIONS[i % len(REGIONS)],
                    "source": "synthetic: stands for the firms behind seed Tables 4-2 to 4-7"})
    for i in range(1, 13):
        out.append({"type": "organisation", "id": f"seed-large-{i:02d}",
                    "name": f"시범대기업 {i:02d}", "kind": "firm", "sector": "manufacturing",
                    "employees": 800 + 250 * i, "region": REGIONS[i % len(REGIONS)],
                    "source": "synthetic (analytics/reference/generate.py)",
                    "note": "Synthetic large firm: its activities must not count for SMEs."})
    for i in range(1, 7):
        out.append({"type": "organisation", "id": f"seed-service-{i:02d}",
                    "name": f"시범서비스기업 {i:02d}", "kind": "firm", "sector": "services",
                    "employees": 50, "region": REGIONS[i % len(REGIONS)],
                    "source": "synthetic (analytics/reference/generate.py)",
                    "note": "Synthetic 50-person service firm: not an SME (ceiling 20)."})
    return out


def _sme(i: int) -> str:
    return f"seed-sme-{i:04d}"


def activities(tables: dict[str, Any]) -> list[dict[str, Any]]:
    years: list[int] = tables[YEARS_KEY]
    out: list[dict[str, Any]] = []
    for inst, spec in tables["institutes"].items():
        rng = random.Random(f"{inst}-2005")
        v = spec["values"]
        signed: list[tuple[int, dict[str, Any]]] = []  # SME transfers with their year
        paid: dict[str, int] = {}
        for n, year in enumerate(years):
            def cell(row: str, n: int = n, v: dict[str, Any] = v) -> Any:
                return v[row][n]

            unreported = [c for c, row in CATEGORY_ROWS.items() if cell(row) is None]
            out.append({"type": "institute_year", "id": f"{inst}-{year}", "institution": inst,
                        "year": year, "regular_staff": cell("regular_staff"),
                        "unreported": unreported})
            tag = f"{inst}-{year}"
            large = f"seed-large-{(n + len(inst)) % 12 + 1:02d}"
            service = f"seed-service-{(n + len(inst)) % 6 + 1:02d}"
            # Joint R&D
            if "joint_rnd" not in unreported:
                p, s = cell("joint_rnd_projects"), cell("joint_rnd_smes")
                smes = [_sme(i) for i in sorted(rng.sample(range(1, SME_POOL + 1), s))]
                members: list[list[str]] = [[smes[i % s]] for i in range(p)]
                for extra in smes[p:]:
                    members[rng.randrange(p)].append(extra)
                gov = split(int(cell("joint_rnd_gov_mkrw")), p, rng)
                own = split(int(cell("joint_rnd_sme_mkrw")), p, rng)
                for i in range(p):
                    firms_ = sorted(members[i]) + ([large] if i % 5 == 4 else [])
                    out.append({"type": "joint_rnd", "id": f"{tag}-jr{i + 1:03d}",
                                "institution": inst, "year": year,
                                "title": f"{spec['name']} 공동기술개발 {year}-{i + 1:03d}",
                                "firms": firms_, "gov_mkrw": gov[i], "sme_mkrw": own[i]})
                out.append({"type": "joint_rnd", "id": f"{tag}-jr-large", "institution": inst,
                            "year": year, "title": f"{spec['name']} 대기업 공동과제 {year}",
                            "firms": [large, service], "gov_mkrw": 500, "sme_mkrw": 250})
            # Contract research
            if "contract_research" not in unreported:
                j, c = cell("contract_research_jobs"), cell("contract_research_smes")
                clients = [_sme(i) for i in sorted(rng.sample(range(1, SME_POOL + 1), c))]
                jobs: list[list[str]] = [[clients[i % c]] for i in range(j)]
                for extra in clients[j:]:
                    jobs[rng.randrange(j)].append(extra)
                amounts = split(int(cell("contract_research_mkrw")), j, rng)
                for i in range(j):
                    out.append({"type": "contract_research", "id": f"{tag}-cr{i + 1:03d}",
                                "institution": inst, "year": year,
                                "client_firms": sorted(jobs[i]), "amount_mkrw": amounts[i]})
                out.append({"type": "contract_research", "id": f"{tag}-cr-large",
                            "institution": inst, "year": year, "client_firms": [large],
                            "amount_mkrw": 300})
            # Technology transfer and royalties
            if "tech_transfer" not in unreported:
                t = cell("transfers")
                royalties = split(int(cell("royalty_contracted_mkrw")), t, rng)
                this_year = []
                for i in range(t):
                    rec = {"type": "tech_transfer", "id": f"{tag}-tt{i + 1:03d}",
                           "institution": inst, "year": year,
                           "firm": _sme(rng.randint(1, SME_POOL)), "royalty_mkrw": royalties[i]}
                    out.append(rec)
                    signed.append((year, rec))
                    this_year.append(rec)
                big = {"type": "tech_transfer", "id": f"{tag}-tt-large", "institution": inst,
                       "year": year, "firm": large, "royalty_mkrw": 120}
                out.append(big)
                out.append({"type": "royalty_payment", "id": f"{tag}-tt-large-p",
                            "transfer": big["id"], "date": f"{year}-09-30", "amount_mkrw": 60})
                left = int(cell("royalty_received_mkrw"))
                payments: dict[str, int] = {}
                for _y, rec in signed:  # oldest first: outstanding balances
                    due = rec["royalty_mkrw"] - paid.get(rec["id"], 0)
                    pay = min(due, left)
                    if pay > 0:
                        payments[rec["id"]] = payments.get(rec["id"], 0) + pay
                        paid[rec["id"]] = paid.get(rec["id"], 0) + pay
                        left -= pay
                    if left == 0:
                        break
                if left:  # running royalties on this year's transfers
                    for rec, running in zip(this_year, split(left, len(this_year), rng),
                                            strict=True):
                        if running:
                            payments[rec["id"]] = payments.get(rec["id"], 0) + running
                            paid[rec["id"]] = paid.get(rec["id"], 0) + running
                for k, (tid, amount) in enumerate(sorted(payments.items())):
                    out.append({"type": "royalty_payment", "id": f"{tag}-rp{k + 1:03d}",
                                "transfer": tid, "date": f"{year}-{k % 12 + 1:02d}-15",
                                "amount_mkrw": amount})
            # Guidance
            if "guidance" not in unreported:
                g = cell("guidance_firms")
                hundredths = round(cell("guidance_man_months") * 100)
                mm = split(hundredths, g, rng, minimum=1)
                guided = sorted(rng.sample(range(1, SME_POOL + 1), g))
                for i, firm in enumerate(guided):
                    out.append({"type": "guidance", "id": f"{tag}-gd{i + 1:04d}",
                                "institution": inst, "year": year, "firm": _sme(firm),
                                "man_months": mm[i] / 100})
                out.append({"type": "guidance", "id": f"{tag}-gd-large", "institution": inst,
                            "year": year, "firm": large, "man_months": 1.5})
            # Training
            if "training" not in unreported:
                f, people = cell("training_smes"), cell("trainees")
                trained = [_sme(i) for i in sorted(rng.sample(range(1, SME_POOL + 1), f))]
                courses = [trained[i:i + 25] for i in range(0, f, 25)]
                added = split(people - f, len(courses), rng)
                for i, course in enumerate(courses):
                    out.append({"type": "training", "id": f"{tag}-tr{i + 1:03d}",
                                "institution": inst, "year": year, "firms": course,
                                "trainees": len(course) + added[i]})
                out.append({"type": "training", "id": f"{tag}-tr-service", "institution": inst,
                            "year": year, "firms": [service], "trainees": 12})
    return out


def _dump(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def main(out_dir: Path = HERE) -> None:
    tables = json.loads((HERE / "seed_tables.json").read_text(encoding="utf-8"))
    _dump(out_dir / "seed_firms.jsonl", firms())
    _dump(out_dir / "seed_activities.jsonl", activities(tables))


if __name__ == "__main__":
    main()
