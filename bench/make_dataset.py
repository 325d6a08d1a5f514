"""Write a deterministic JSON Lines dataset for the benchmarks (formats: docs/records.md).

    python bench/make_dataset.py --orgs 100000 --experts 20000 --cases 200000 -o /tmp/bench.jsonl

The file starts with the reference regions and technology fields (src/clusterhub/core/reference/),
then N organisations (about 99% firms with Korean names and keywords; about 1% support
organisations, one support desk per region), M experts and K solved cases. The same flags and seed
always give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vocab import (
    ACTIONS,
    DEFECTS,
    FIELD_KEYWORDS,
    GIVEN,
    HOUSE,
    HOUSE_EN,
    PREFIX,
    REGION_WEIGHTS,
    SUPPORT_TYPES,
    SURNAMES,
    TITLES,
    TRADE,
    TRADE_EN,
)

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "clusterhub" / "core" / "reference"
SECTORS = ["manufacturing"] * 8 + ["services", "commerce", "construction", "transport"]
SUPPORT_KINDS = ["ric", "university", "agency", "gri", "finance", "technopark"]


def reference_lines(name: str) -> list[str]:
    return [line for line in (REFERENCE / name).read_text(encoding="utf-8").splitlines()
            if line.strip()]


def field_groups() -> dict[str, str]:
    """Every non-root field id -> its second-level ancestor (the key of FIELD_KEYWORDS)."""
    parents = {}
    for line in reference_lines("fields.jsonl"):
        rec = json.loads(line)
        parents[rec["id"]] = rec["parent"]
    groups = {}
    for fid in parents:
        node = fid
        while parents.get(node) and parents[parents[node]] is not None:
            node = parents[node]
        if parents[fid] is not None:
            groups[fid] = node
    return groups


class Generator:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.groups = field_groups()
        self.field_ids = sorted(self.groups)
        regions = [json.loads(line) for line in reference_lines("regions.jsonl")]
        self.region_codes = [r["id"] for r in regions]
        self.region_short = {r["id"]: r["short_name"] for r in regions}
        self.region_weights = [REGION_WEIGHTS.get(c, 1) for c in self.region_codes]

    def fields_and_keywords(self, n_fields: int, n_words: int) -> tuple[list[str], list[str]]:
        rnd = self.rnd
        fields = sorted(set(rnd.sample(self.field_ids, n_fields)))
        pool = [w for f in fields for w in FIELD_KEYWORDS[self.groups[f]]]
        words = list(dict.fromkeys(rnd.sample(pool, min(n_words, len(pool)))))
        return fields, words

    def region(self) -> str:
        return self.rnd.choices(self.region_codes, self.region_weights)[0]

    def organisations(self, n: int) -> Iterator[dict[str, Any]]:
        """Support organisations first (s-NNNNN, the first one of each region is its desk)."""
        rnd = self.rnd
        n_support = max(len(self.region_codes), n // 100)
        for i in range(n_support):
            code = self.region_codes[i] if i < len(self.region_codes) else self.region()
            short = self.region_short[code]
            desk = i < len(self.region_codes)
            kind = "technopark" if desk else rnd.choice(SUPPORT_KINDS)
            name = {
                "technopark": f"{short}테크노파크" + ("" if desk else f" 제{i}센터"),
                "ric": f"{short} {rnd.choice(TRADE)}지역혁신센터 {i}",
                "university": f"{short}{rnd.choice(HOUSE)}대학교 산학협력단 {i}",
                "agency": f"{short}중소기업지원센터 {i}",
                "gri": f"{short}{rnd.choice(TRADE)}기술연구원 {i}",
                "finance": f"{short}기술보증 {i}",
            }[kind]
            fields, words = self.fields_and_keywords(rnd.randint(2, 4), rnd.randint(3, 6))
            yield {
                "type": "organisation", "id": f"s-{i:05d}", "name": name,
                "name_en": f"{kind.title()} {code}-{i}", "kind": kind, "region": code,
                "fields": fields, "keywords": ["기술지원", *words],
                "address": f"{short} 산업단지로 {rnd.randint(1, 300)}",
                "is_support_desk": desk, "source": "bench",
            }
        for i in range(n - n_support):
            h, t = rnd.randrange(len(HOUSE)), rnd.randrange(len(TRADE))
            code = self.region()
            fields, words = self.fields_and_keywords(rnd.randint(1, 2), rnd.randint(2, 5))
            sector = rnd.choice(SECTORS)
            employees = int(rnd.lognormvariate(3.3, 1.0))
            sales = round(employees * rnd.uniform(80, 400), 1)
            yield {
                "type": "organisation", "id": f"o-{i:07d}",
                "name": f"{rnd.choice(PREFIX)}{HOUSE[h]}{TRADE[t]}",
                "name_en": f"{HOUSE_EN[h]} {TRADE_EN[t]}" if rnd.random() < 0.6 else None,
                "kind": "firm", "region": code, "sector": sector, "employees": employees,
                "fields": fields, "keywords": words,
                "address": f"{self.region_short[code]} 공단로 {rnd.randint(1, 999)}",
                "sales_mkrw": sales, "rnd_mkrw": round(sales * rnd.uniform(0, 0.08), 1),
                "innobiz": rnd.random() < 0.2, "venture": rnd.random() < 0.15,
            }

    def experts(self, m: int, n_orgs: int) -> Iterator[dict[str, Any]]:
        rnd = self.rnd
        n_support = max(len(self.region_codes), n_orgs // 100)
        n_firms = n_orgs - n_support
        for i in range(m):
            if n_firms and rnd.random() < 0.2:
                org = f"o-{rnd.randrange(n_firms):07d}"
            else:
                org = f"s-{rnd.randrange(n_support):05d}"
            fields, words = self.fields_and_keywords(rnd.randint(1, 3), rnd.randint(2, 5))
            name = rnd.choice(SURNAMES) + rnd.choice(GIVEN)
            yield {
                "type": "expert", "id": f"e-{i:06d}", "name": name, "organisation": org,
                "title": rnd.choice(TITLES), "keywords": words,
                "bio": f"{'·'.join(words)} 분야 {rnd.randint(5, 30)}년 경력. "
                       f"{rnd.choice(ACTIONS)} 및 {rnd.choice(DEFECTS)} 개선 지원 다수.",
                "fields": fields, "capacity": rnd.randint(1, 8),
                "email": f"e{i}@example.org",
            }

    def cases(self, k: int, n_orgs: int, m_experts: int) -> Iterator[dict[str, Any]]:
        rnd = self.rnd
        n_support = max(len(self.region_codes), n_orgs // 100)
        n_firms = n_orgs - n_support
        for i in range(k):
            fields, words = self.fields_and_keywords(rnd.randint(1, 2), 3)
            defect, action = rnd.choice(DEFECTS), rnd.choice(ACTIONS)
            before = rnd.randint(5, 30)
            yield {
                "type": "case", "id": f"c-{i:07d}",
                "title": f"{words[0]} {defect} 개선",
                "problem": f"{' '.join(words)} 공정에서 {defect}이(가) 발생하여 불량률이 {before}%입니다.",
                "solution": f"{action} 방식으로 {words[-1]} 조건을 재설정하고 시험으로 검증했습니다.",
                "support_type": rnd.choice(SUPPORT_TYPES), "region": self.region(),
                "year": rnd.randint(2000, 2024),
                "experts": sorted({f"e-{rnd.randrange(m_experts):06d}"
                                   for _ in range(rnd.randint(1, 2))}) if m_experts else [],
                "firm": f"o-{rnd.randrange(n_firms):07d}" if n_firms else None,
                "fields": fields, "outcome": f"불량률 {before}% → {rnd.randint(0, before // 2)}%",
            }


def write(out: Any, orgs: int, experts: int, cases: int, seed: int) -> int:
    gen = Generator(seed)
    n = 0
    for name in ("regions.jsonl", "fields.jsonl"):
        for line in reference_lines(name):
            out.write(line + "\n")
            n += 1
    dump = json.dumps
    for source in (gen.organisations(orgs), gen.experts(experts, orgs),
                   gen.cases(cases, orgs, experts)):
        for rec in source:
            out.write(dump(rec, ensure_ascii=False) + "\n")
            n += 1
    return n


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=100_000)
    parser.add_argument("--experts", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2006)
    parser.add_argument("-o", "--output", default="-", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    if args.orgs < 17:
        parser.error("--orgs must be at least 17 (one support desk per region)")
    if args.output == "-":
        n = write(sys.stdout, args.orgs, args.experts, args.cases, args.seed)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            n = write(out, args.orgs, args.experts, args.cases, args.seed)
    print(f"wrote {n} lines", file=sys.stderr)


if __name__ == "__main__":
    main()
