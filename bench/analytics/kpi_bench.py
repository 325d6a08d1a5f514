# ruff: noqa: S608 - the SQL is built from this script's own constants, no outside input
"""The institute KPI report over N activity records on PostgreSQL, beside DuckDB.

    .venv/bin/python bench/analytics/kpi_bench.py --rows 1000000

1. (re)creates the scratch database clusterhub_bench_analytics and migrates the analytics app;
2. creates 30 institutes and 20,000 firms (10 % of them large, i.e. not SMEs) with the ORM;
3. has DuckDB write the activity rows as CSV, deterministically (hash of the row number), in
   these shares: joint R&D 15 %, contract research 10 %, transfers 15 %, royalty payments 15 %,
   guidance 30 %, training 15 %; joint R&D has 2 firms, contract research 1-2 and training 3;
   30 years;
4. loads the CSVs into PostgreSQL with COPY, then ANALYZE;
5. marks the KPI cells stale (COPY bypasses the import pipeline) and times their refill
   (`kpi.refresh_cells`: every figure aggregated in the database from all the rows), then the
   report (`kpi.compute()`, all institutes and years, read from the filled cells plus the live
   hub cases and institute reports): median of three after a warm-up; and, for reference, one
   live aggregation without the cells (`kpi.compute(live=True)`);
6. loads the same CSVs into DuckDB (in memory) and times the same figures computed there with
   SQL, and checks that both give the same numbers.

Prints one JSON object with the timings. PostgreSQL: DATABASE_URL's server (default
postgres://clusterhub:clusterhub-ci@127.0.0.1:5432/), user needs CREATEDB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

SHARES = {"joint_rnd": 0.15, "contract": 0.10, "transfer": 0.15, "payment": 0.15,
          "guidance": 0.30, "training": 0.15}
INSTITUTES, FIRMS, YEARS, FIRST_YEAR = 30, 20000, 30, 1996


def _timed(fn: Any) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def create_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server + "postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server + name


def make_orgs() -> tuple[int, int]:
    """Institutes and firms; returns the first institute and first firm primary keys."""
    from clusterhub.core.models import Organisation

    insts = [Organisation(external_id=f"inst-{i:02d}", name=f"연구원 {i:02d}", kind="gri",
                          keywords=[]) for i in range(INSTITUTES)]
    firms = [Organisation(external_id=f"firm-{i:05d}", name=f"기업 {i:05d}", kind="firm",
                          sector="manufacturing", employees=400 if i % 10 == 0 else 50,
                          is_sme=i % 10 != 0, keywords=[]) for i in range(FIRMS)]
    Organisation.objects.bulk_create(insts, batch_size=2000)
    Organisation.objects.bulk_create(firms, batch_size=2000)
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    inst0, firm0 = ids[0], ids[INSTITUTES]
    assert ids == list(range(inst0, inst0 + INSTITUTES + FIRMS)), "ids are not contiguous"
    return inst0, firm0


def write_csvs(con: Any, out: Path, n: int, inst0: int, firm0: int) -> dict[str, int]:
    """Activity rows as CSV files written by DuckDB; returns the row count per file."""
    counts = {k: int(n * v) for k, v in SHARES.items()}
    h = "hash(i * 7919 + {salt})"
    inst = f"({inst0} + {h.format(salt=1)} % {INSTITUTES})"
    year = f"({FIRST_YEAR} + {h.format(salt=2)} % {YEARS})"
    firm = f"({firm0} + {h.format(salt=3)} % {FIRMS})"
    firm2 = f"({firm0} + ({h.format(salt=3)} % {FIRMS} + 1 + {h.format(salt=4)} % {FIRMS - 2}) % {FIRMS})"
    firm3 = f"({firm0} + ({h.format(salt=3)} % {FIRMS} + {FIRMS - 1}) % {FIRMS})"
    amount = f"(1 + {h.format(salt=5)} % 500)"
    queries = {
        "jointrnd": f"SELECT i + 1 AS id, 'j' || i AS external_id, {inst} AS institution_id, "
                    f"{year} AS year, 'project' AS title, {amount} AS gov_mkrw, "
                    f"{amount} % 97 AS sme_mkrw FROM range({counts['joint_rnd']}) t(i)",
        "jointrnd_firms": f"SELECT i + 1 AS jointrnd_id, {firm} AS organisation_id "
                          f"FROM range({counts['joint_rnd']}) t(i) UNION ALL "
                          f"SELECT i + 1, {firm2} FROM range({counts['joint_rnd']}) t(i)",
        "contractresearch": f"SELECT i + 1 AS id, 'c' || i AS external_id, {inst} AS "
                            f"institution_id, {year} AS year, {amount} AS amount_mkrw "
                            f"FROM range({counts['contract']}) t(i)",
        "contractresearch_client_firms": f"SELECT i + 1 AS contractresearch_id, {firm} AS "
                                         f"organisation_id FROM range({counts['contract']}) t(i) "
                                         f"UNION ALL SELECT i + 1, {firm2} FROM "
                                         f"range({counts['contract']}) t(i) WHERE i % 5 = 0",
        "techtransfer": f"SELECT i + 1 AS id, 't' || i AS external_id, {inst} AS "
                        f"institution_id, {year} AS year, {firm} AS firm_id, {amount} AS "
                        f"royalty_mkrw FROM range({counts['transfer']}) t(i)",
        "royaltypayment": f"SELECT i + 1 AS id, 'p' || i AS external_id, "
                          f"1 + {h.format(salt=6)} % {counts['transfer']} AS transfer_id, "
                          f"make_date({year}::BIGINT, (1 + {h.format(salt=7)} % 12)::BIGINT, 15) AS date, "
                          f"{amount} AS amount_mkrw FROM range({counts['payment']}) t(i)",
        "guidance": f"SELECT i + 1 AS id, 'g' || i AS external_id, {inst} AS institution_id, "
                    f"{year} AS year, {firm} AS firm_id, ({amount} % 40) / 10.0 AS man_months "
                    f"FROM range({counts['guidance']}) t(i)",
        "training": f"SELECT i + 1 AS id, 'r' || i AS external_id, {inst} AS institution_id, "
                    f"{year} AS year, 3 + {h.format(salt=8)} % 30 AS trainees "
                    f"FROM range({counts['training']}) t(i)",
        "training_firms": f"SELECT i + 1 AS training_id, {firm} AS organisation_id FROM "
                          f"range({counts['training']}) t(i) UNION ALL SELECT i + 1, {firm2} "
                          f"FROM range({counts['training']}) t(i) UNION ALL SELECT i + 1, "
                          f"{firm3} FROM range({counts['training']}) t(i)",
        "instituteyear": f"SELECT i + 1 AS id, 'y' || i AS external_id, {inst0} + i // {YEARS} "
                         f"AS institution_id, {FIRST_YEAR} + i % {YEARS} AS year, 100 + i % 50 "
                         f"AS regular_staff, CASE WHEN i % 7 = 0 THEN '[\"training\"]' ELSE "
                         f"'[]' END AS unreported FROM range({INSTITUTES * YEARS}) t(i)",
    }
    rows = {}
    for name, sql in queries.items():
        path = out / f"{name}.csv"
        con.execute(f"COPY ({sql}) TO '{path}' (HEADER, DELIMITER ',')")
        rows[name] = con.execute(f"SELECT count(*) FROM read_csv('{path}')").fetchone()[0]
    return rows


def copy_into_pg(out: Path, names: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        raw = cur.cursor
        for name in names:
            path = out / f"{name}.csv"
            header = path.open(encoding="utf-8").readline().strip()
            with raw.copy(f"COPY analytics_{name} ({header}) FROM STDIN WITH (FORMAT csv, "
                          "HEADER true)") as copy, path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
        for name in names:
            cur.execute(f"ANALYZE analytics_{name}")
        cur.execute("ANALYZE core_organisation")


DUCK_SQL = """
WITH sme AS (SELECT id FROM firms WHERE is_sme),
jr AS (SELECT DISTINCT jointrnd_id FROM jointrnd_firms WHERE organisation_id IN (SELECT id FROM sme)),
cr AS (SELECT DISTINCT contractresearch_id FROM contractresearch_client_firms WHERE organisation_id IN (SELECT id FROM sme)),
tr AS (SELECT DISTINCT training_id FROM training_firms WHERE organisation_id IN (SELECT id FROM sme)),
m AS (
  SELECT j.institution_id i, j.year y, 'joint_rnd_projects' k, count(DISTINCT l.jointrnd_id)::DOUBLE v FROM jointrnd_firms l JOIN jointrnd j ON j.id = l.jointrnd_id WHERE l.organisation_id IN (SELECT id FROM sme) GROUP BY 1, 2
  UNION ALL SELECT j.institution_id, j.year, 'joint_rnd_smes', count(DISTINCT l.organisation_id) FROM jointrnd_firms l JOIN jointrnd j ON j.id = l.jointrnd_id WHERE l.organisation_id IN (SELECT id FROM sme) GROUP BY 1, 2
  UNION ALL SELECT institution_id, year, 'joint_rnd_gov_mkrw', sum(gov_mkrw) FROM jointrnd WHERE id IN (SELECT * FROM jr) GROUP BY 1, 2
  UNION ALL SELECT institution_id, year, 'joint_rnd_sme_mkrw', sum(sme_mkrw) FROM jointrnd WHERE id IN (SELECT * FROM jr) GROUP BY 1, 2
  UNION ALL SELECT c.institution_id, c.year, 'contract_research_jobs', count(DISTINCT l.contractresearch_id) FROM contractresearch_client_firms l JOIN contractresearch c ON c.id = l.contractresearch_id WHERE l.organisation_id IN (SELECT id FROM sme) GROUP BY 1, 2
  UNION ALL SELECT c.institution_id, c.year, 'contract_research_smes', count(DISTINCT l.organisation_id) FROM contractresearch_client_firms l JOIN contractresearch c ON c.id = l.contractresearch_id WHERE l.organisation_id IN (SELECT id FROM sme) GROUP BY 1, 2
  UNION ALL SELECT institution_id, year, 'contract_research_mkrw', sum(amount_mkrw) FROM contractresearch WHERE id IN (SELECT * FROM cr) GROUP BY 1, 2
  UNION ALL SELECT institution_id, year, 'transfers', count(*) FROM techtransfer WHERE firm_id IN (SELECT id FROM sme) GROUP BY 1, 2
  UNION ALL SELECT institution_id, year, 'royalty_contracted_mkrw', sum(royalty_mkrw) FROM techtransfer WHERE firm_id IN (SELECT id FROM sme) GROUP BY 1, 2
  UNION ALL SELECT t.institution_id, year(p.date), 'royalty_received_mkrw', sum(p.amount_mkrw) FROM royaltypayment p JOIN techtransfer t ON t.id = p.transfer_id WHERE t.firm_id IN (SELECT id FROM sme) GROUP BY 1, 2
  UNION ALL SELECT institution_id, year, 'guidance_firms', count(DISTINCT firm_id) FROM guidance WHERE firm_id IN (SELECT id FROM sme) GROUP BY 1, 2
  UNION ALL SELECT institution_id, year, 'guidance_man_months', sum(man_months) FROM guidance WHERE firm_id IN (SELECT id FROM sme) GROUP BY 1, 2
  UNION ALL SELECT t.institution_id, t.year, 'training_smes', count(DISTINCT l.organisation_id) FROM training_firms l JOIN training t ON t.id = l.training_id WHERE l.organisation_id IN (SELECT id FROM sme) GROUP BY 1, 2
  UNION ALL SELECT institution_id, year, 'trainees', sum(trainees) FROM training WHERE id IN (SELECT * FROM tr) GROUP BY 1, 2
)
SELECT i, y, k, v FROM m
"""


def duckdb_figures(con: Any, out: Path, names: list[str], inst0: int, firm0: int
                   ) -> tuple[dict[tuple[int, int, str], float], float, float]:
    def load() -> None:
        for name in names:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_csv('{out / name}.csv')")
        con.execute(f"CREATE OR REPLACE TABLE firms AS SELECT {firm0} + i AS id, i % 10 <> 0 "
                    f"AS is_sme FROM range({FIRMS}) t(i)")

    _none, load_s = _timed(load)
    runs = []
    rows: list[Any] = []
    for _ in range(4):
        rows, s = _timed(lambda: con.execute(DUCK_SQL).fetchall())
        runs.append(s)
    figures = {(int(i), int(y), k): round(float(v), 2) for i, y, k, v in rows}
    return figures, load_s, statistics.median(runs[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="clusterhub_bench_analytics")
    parser.add_argument("--server", default="postgres://clusterhub:clusterhub-ci@127.0.0.1:5432/")
    parser.add_argument("--csv-dir", default="/tmp/clusterhub-bench-analytics")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = create_database(args.server, args.db)
    os.environ.setdefault("CLUSTERHUB_DATA_DIR", args.csv_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterhub.settings")
    import django

    django.setup()
    import duckdb
    from django.core.management import call_command

    from clusterhub.analytics import kpi

    call_command("migrate", "analytics", verbosity=0)
    inst0, firm0 = make_orgs()
    out = Path(args.csv_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    rows, gen_s = _timed(lambda: write_csvs(con, out, args.rows, inst0, firm0))
    names = list(rows)
    _none, copy_s = _timed(lambda: copy_into_pg(out, names))

    kpi.mark_stale()
    _filled, fill_s = _timed(kpi.refresh_cells)
    runs = []
    result = None
    for _ in range(4):
        result, s = _timed(lambda: kpi.compute())
        runs.append(s)
    assert result is not None
    live, live_s = _timed(lambda: kpi.compute(live=True))
    assert live.as_json() == result.as_json()
    duck, duck_load_s, duck_s = duckdb_figures(con, out, names, inst0, firm0)

    pg = {}
    pks = {f"inst-{i:02d}": inst0 + i for i in range(INSTITUTES)}
    for ext, per in result.rows.items():
        for year, values in per.items():
            for key, v in values.items():
                if v is not None and key not in ("regular_staff", "joint_rnd_total_mkrw"):
                    pg[(pks[ext], year, key)] = round(float(v), 2)
    unreported = {(pks[ext], y) for ext, per in result.rows.items() for y, v in per.items()
                  if v["training_smes"] is None}
    duck_cmp = {k: v for k, v in duck.items()
                if not (k[2] in ("training_smes", "trainees") and (k[0], k[1]) in unreported)}
    pg_cmp = {k: v for k, v in pg.items() if v != 0 or k in duck_cmp}
    mismatches = [k for k in set(pg_cmp) | set(duck_cmp) if pg_cmp.get(k) != duck_cmp.get(k)]
    activity = sum(v for k, v in rows.items() if not k.endswith("firms") and k != "instituteyear")
    print(json.dumps({
        "activity_rows": activity, "link_rows": sum(v for k, v in rows.items()
                                                    if k.endswith("firms")),
        "rows": rows, "generate_csv_s": round(gen_s, 1), "pg_copy_analyze_s": round(copy_s, 1),
        "pg_fill_cells_s": round(fill_s, 2),
        "pg_kpi_runs_s": [round(s, 3) for s in runs], "pg_kpi_median_s":
            round(statistics.median(runs[1:]), 3), "pg_kpi_live_s": round(live_s, 2),
        "duckdb_load_s": round(duck_load_s, 1), "duckdb_kpi_median_s": round(duck_s, 2),
        "figures_compared": len(duck_cmp), "mismatches": len(mismatches),
    }, indent=1))


if __name__ == "__main__":
    main()
