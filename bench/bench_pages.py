"""Time the directory searches and the coordinator queue through Django's test client.

    CLUSTERHUB_DATA_DIR=... .venv/bin/python bench/bench_pages.py -n 200
    DATABASE_URL=postgres://... .venv/bin/python bench/bench_pages.py -n 200

Needs a dataset from make_dataset.py (imported) and load_requests.py. For each scenario it makes a
few warm-up requests, then N timed GET requests with varied query strings (Korean words of the
dataset, filters, pages), logged in with force_login: the coordinator of the desk with the most
open requests (the worst queue). Server time is the wall time of `Client.get`, which runs the whole
request in process: middleware, view, queries, template. Prints p50, p95 and max per scenario and
exits 1 when a scenario's p95 exceeds --target (150 ms). The cpu columns are this process's CPU
time per request: on SQLite, which runs inside the process, about the server time a quiet machine
would show; on PostgreSQL they leave out the database server's work. --repeat R runs each scenario
R times with other seeds; the verdict then takes the median of the runs' p95.

--queries prints, for one request of each scenario, its SQL statements, slowest first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterhub.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from vocab import GIVEN, HOUSE, SUPPORT_TYPES, SURNAMES, TRADE, all_keywords  # noqa: E402

from clusterhub.core.models import Expert, Organisation, Profile, Region, TechField  # noqa: E402
from clusterhub.support.models import OPEN_STATUSES, Status, SupportRequest  # noqa: E402

KINDS = [k for k, _label in Organisation.Kind.choices]


class Params:
    """Query-string makers drawing from the dataset's words and the filters' values."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.keywords = all_keywords()
        self.regions = list(Region.objects.values_list("code", flat=True))
        self.region_names = list(Region.objects.values_list("short_name", flat=True))
        # The filter drop-down offers second-level fields; leaves are reachable through the API.
        self.fields = list(TechField.objects.filter(parent__parent__isnull=True)
                           .exclude(parent__isnull=True).values_list("external_id", flat=True))
        self.leaf_fields = list(TechField.objects.filter(parent__parent__isnull=False)
                                .values_list("external_id", flat=True))

    def word(self) -> str:
        """Mostly keywords, then firm-name parts; 1 in 20 matches nothing (a full scan)."""
        r = self.rnd.random()
        if r < 0.55:
            return self.rnd.choice(self.keywords)
        if r < 0.80:
            return self.rnd.choice(HOUSE)
        if r < 0.95:
            return self.rnd.choice(HOUSE) + self.rnd.choice(TRADE)
        return self.rnd.choice(["없는회사", "존재하지않음", "qqqzz"])

    def person(self) -> str:
        r = self.rnd.random()
        if r < 0.4:
            return self.rnd.choice(SURNAMES) + self.rnd.choice(GIVEN)
        if r < 0.5:
            return self.rnd.choice(GIVEN)
        return self.rnd.choice(self.keywords)

    def page(self) -> dict[str, str]:
        return {"page": str(self.rnd.randint(2, 5))} if self.rnd.random() < 0.2 else {}

    def directory_q(self) -> dict[str, str]:
        q = self.word()
        if self.rnd.random() < 0.15:
            q = f"{q} {self.rnd.choice(self.keywords)}"
        return {"q": q, **self.page()}

    def directory_q_filters(self) -> dict[str, str]:
        p = {"q": self.word()}
        p.update(self._org_filters(at_least_one=True))
        return p

    def directory_filters(self) -> dict[str, str]:
        return {**self._org_filters(at_least_one=True), **self.page()}

    def _org_filters(self, at_least_one: bool) -> dict[str, str]:
        p: dict[str, str] = {}
        while not p:
            if self.rnd.random() < 0.5:
                p["kind"] = "firm" if self.rnd.random() < 0.7 else self.rnd.choice(KINDS)
            if self.rnd.random() < 0.6:
                p["region"] = self.rnd.choice(self.regions)
            if self.rnd.random() < 0.5:
                p["field"] = self.rnd.choice(self.fields)
            if not at_least_one:
                break
        return p

    def experts_q(self) -> dict[str, str]:
        return {"q": self.person(), **self.page()}

    def experts_q_filters(self) -> dict[str, str]:
        p = {"q": self.person()}
        while len(p) == 1:
            if self.rnd.random() < 0.6:
                p["field"] = self.rnd.choice(self.fields)
            if self.rnd.random() < 0.6:
                p["region"] = self.rnd.choice(self.regions + self.region_names)
        return p

    def desk_default(self) -> dict[str, str]:
        return self.page()

    def desk_filters(self) -> dict[str, str]:
        p: dict[str, str] = {}
        while not p:
            if self.rnd.random() < 0.5:
                p["status"] = self.rnd.choice(["all", *[s for s, _l in Status.choices]])
            if self.rnd.random() < 0.5:
                p["support_type"] = self.rnd.choice(SUPPORT_TYPES)
            if self.rnd.random() < 0.3:
                p["field"] = self.rnd.choice(self.fields + self.leaf_fields)
            if self.rnd.random() < 0.4:
                p["q"] = self.rnd.choice(self.keywords)
        return {**p, **self.page()}

    def desk_overdue(self) -> dict[str, str]:
        p = {"overdue": "1"}
        if self.rnd.random() < 0.3:
            p["support_type"] = self.rnd.choice(SUPPORT_TYPES)
        return {**p, **self.page()}


SCENARIOS: list[tuple[str, str, str]] = [
    # name, path, Params method
    ("directory ?q=", "/directory/", "directory_q"),
    ("directory ?q= + filters", "/directory/", "directory_q_filters"),
    ("directory filters only", "/directory/", "directory_filters"),
    ("experts ?q=", "/experts/", "experts_q"),
    ("experts ?q= + filters", "/experts/", "experts_q_filters"),
    ("desk (default)", "/desk/", "desk_default"),
    ("desk + filters", "/desk/", "desk_filters"),
    ("desk ?overdue=1", "/desk/", "desk_overdue"),
]


def busiest_coordinator() -> Any:
    desk = (SupportRequest.objects.filter(status__in=OPEN_STATUSES, routed_to__isnull=False)
            .values("routed_to").annotate(n=Count("id")).order_by("-n").first())
    if desk is None:
        raise SystemExit("no open requests: run bench/load_requests.py first")
    profile = (Profile.objects.filter(role="coordinator", organisation_id=desk["routed_to"])
               .select_related("user", "organisation").first())
    if profile is None:
        raise SystemExit("the busiest desk has no coordinator: run bench/load_requests.py")
    return profile, desk["n"]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def run(client: Client, path: str, make: Callable[[], dict[str, str]], n: int,
        warmup: int) -> tuple[list[float], list[float], list[str]]:
    """Wall and CPU milliseconds of each timed request, and the three slowest URLs."""
    times: list[float] = []
    cpu: list[float] = []
    slow: list[tuple[float, str]] = []
    for i in range(warmup + n):
        url = f"{path}?{urlencode(make())}"
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        elapsed_cpu = (time.process_time() - started_cpu) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        if i >= warmup:
            times.append(elapsed)
            cpu.append(elapsed_cpu)
            slow.append((elapsed, url))
    slow.sort(reverse=True)
    return times, cpu, [f"{t:7.1f} ms  {u}" for t, u in slow[:3]]


def show_queries(client: Client, path: str, params: dict[str, str]) -> None:
    url = f"{path}?{urlencode(params)}"
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    print(f"\n--- {url}: {len(ctx.captured_queries)} queries")
    for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:6]:
        print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:400]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--target", type=float, default=150.0, help="p95 limit in ms")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", help="run the scenarios whose name contains this")
    parser.add_argument("--queries", action="store_true",
                        help="print one request's SQL per scenario, slowest first")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each scenario (other seeds); the verdict takes the median p95")
    args = parser.parse_args()

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    profile, open_n = busiest_coordinator()
    client = Client()
    client.force_login(profile.user)
    counts = {
        "organisations": Organisation.objects.count(),
        "experts": Expert.objects.count(),
        "requests": SupportRequest.objects.count(),
    }
    print(f"database: {engine}; {counts}; user {profile.user.username} "
          f"({profile.organisation.name}, {open_n} open requests)")
    print(f"load average {load()}; {os.cpu_count()} cores")
    print(f"{'scenario':28} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
          f" {'cpu p50':>8} {'cpu p95':>8}")
    results = []
    failed = False
    for name, path, method in SCENARIOS:
        if args.only and args.only not in name:
            continue
        if args.queries:
            show_queries(client, path, getattr(Params(args.seed), method)())
            continue
        p95s = []
        for r in range(args.repeat):
            make = getattr(Params(args.seed + r), method)
            times, cpu, slowest = run(client, path, make, args.n, args.warmup)
            p50, p95, worst = statistics.median(times), percentile(times, 95), max(times)
            cpu50, cpu95 = statistics.median(cpu), percentile(cpu, 95)
            p95s.append(p95)
            print(f"{name:28} {len(times):4d} {p50:8.1f} {p95:8.1f} {worst:8.1f}"
                  f" {cpu50:8.1f} {cpu95:8.1f}"
                  + ("  over target" if p95 > args.target else ""), flush=True)
            if p95 > args.target:
                for line in slowest:
                    print(f"      {line}")
            results.append({"scenario": name, "run": r + 1, "n": len(times),
                            "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                            "max_ms": round(worst, 1), "cpu_p50_ms": round(cpu50, 1),
                            "cpu_p95_ms": round(cpu95, 1)})
        verdict = statistics.median(p95s)
        if args.repeat > 1:
            print(f"{'':28} median p95 of {args.repeat} runs: {verdict:.1f} ms")
        failed |= verdict > args.target
    print(f"load average {load()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"database": engine, "counts": counts,
                                               "load": load(), "results": results}, indent=1))
    if failed:
        print(f"FAIL: p95 over {args.target:.0f} ms")
        sys.exit(1)
    if results:
        print(f"OK: every p95 within {args.target:.0f} ms")


if __name__ == "__main__":
    main()
