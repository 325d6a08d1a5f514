"""Equipment benchmarks on PostgreSQL (docs/equipment.md, "Benchmarks").

1. Booking creation at 32 concurrent clients (threads in 4 worker processes, as gunicorn
   workers would run them, each client with its own connection, calling
   the booking action that the API calls: validation, overlap check, insert under the exclusion
   constraint, audit event), measured side by side with pgbench's built-in TPC-B-like script at
   the same client count, in the same run; throughput and p50/p99 latency.
2. Availability of 5,000 items for one week (opening hours minus blackouts minus bookings with
   their buffers): the time of `availability.calendars` over all of them.

    .venv/bin/python bench/equipment/bench_equipment.py [--clients 32] [--seconds 20] [--rounds 3]

Creates (and drops first) the scratch databases clusterhub_equipment_bench and
clusterhub_pgbench on the server of BENCH_PG (default
postgres://clusterhub:clusterhub-ci@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SERVER = os.environ.get("BENCH_PG", "postgres://clusterhub:clusterhub-ci@127.0.0.1:5432")
DB = "clusterhub_equipment_bench"
PGBENCH_DB = "clusterhub_pgbench"
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
ROOT = Path(__file__).resolve().parents[2]
SEOUL = ZoneInfo("Asia/Seoul")


def recreate(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
    os.environ.setdefault("CLUSTERHUB_DATA_DIR", tempfile.mkdtemp(prefix="eq-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "clusterhub.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def pgbench(clients: int, seconds: int, scale: int) -> float:
    env = {**os.environ, "PGPASSWORD": SERVER.split(":")[2].split("@")[0]}
    conn = ["-h", "127.0.0.1", "-U", "clusterhub"]
    subprocess.run([PGBENCH, *conn, "-i", "-q", "-s", str(scale), PGBENCH_DB], env=env, check=True,
                   capture_output=True)
    out = subprocess.run([PGBENCH, *conn, "-c", str(clients), "-j", "2", "-T", str(seconds),
                          PGBENCH_DB], env=env, check=True, capture_output=True, text=True).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


def booking_data(clients: int, n_items: int) -> tuple[list, list]:
    from datetime import time as dtime

    from clusterhub.core.models import Organisation, Region
    from clusterhub.equipment.models import Equipment, OpeningHours, Training
    from clusterhub.testing import make_user

    region, _ = Region.objects.get_or_create(code="48", defaults={
        "name": "경상남도", "short_name": "경남", "name_en": "Gyeongsangnam-do"})
    site, _ = Organisation.objects.get_or_create(external_id="bench-tp", defaults={
        "name": "벤치테크노파크", "kind": "technopark", "region": region})
    firm, _ = Organisation.objects.get_or_create(external_id="bench-firm", defaults={
        "name": "(주)벤치", "kind": "firm", "region": region, "sector": "manufacturing",
        "employees": 50})
    for wd in range(7):
        OpeningHours.objects.get_or_create(site=site, weekday=wd, opens=dtime(0),
                                           defaults={"closes": dtime(23, 59)})
    Equipment.objects.bulk_create([Equipment(
        external_id=f"bench-{i}", name=f"사출성형기 {i}", owner=site, site=site,
        classification="D0301", modes=["direct"], requires_approval=False, setup_minutes=10,
        cleanup_minutes=10, min_minutes=30, max_minutes=600, fee_krw=50000,
        sme_discount_pct=20) for i in range(n_items)])
    items = list(Equipment.objects.filter(external_id__startswith="bench-").select_related("site"))
    users = [make_user(f"bench{i}-{random.randrange(10**9)}", "sme", firm) for i in range(clients)]
    Training.objects.bulk_create([Training(user=u, equipment=e) for u in users for e in items])
    return users, items


def _client_process(user_ids: list[int], item_ids: list[int], seconds: float, round_no: int,
                    proc: int, out: Any) -> None:
    """One worker process (as a gunicorn worker would be) running one thread per client."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from clusterhub.equipment import actions
    from clusterhub.equipment.models import Equipment

    connection.close()  # never share the parent's connection
    users = list(get_user_model().objects.filter(pk__in=user_ids).select_related(
        "profile__organisation"))
    items = list(Equipment.objects.filter(pk__in=item_ids).select_related("site"))
    connection.close()
    base = datetime(2031, 1, 1, tzinfo=SEOUL) + timedelta(days=400 * round_no)
    latencies: list[float] = []
    counts = {"ok": 0, "conflict": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(len(users))

    def client(i: int) -> None:
        rng = random.Random(proc * 1000 + i * 10 + round_no)
        mine_l, mine = [], {"ok": 0, "conflict": 0}
        barrier.wait()
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            item = rng.choice(items)
            # Whole hours from 00:00 to 22:00 Seoul (the site is open 00:00-23:59 every day).
            start = base + timedelta(days=rng.randrange(365), hours=rng.randrange(23))
            t0 = time.perf_counter()
            try:
                actions.request_booking(users[i], item, start=start, end=start + timedelta(hours=1))
                mine["ok"] += 1
            except actions.BookingConflict:
                mine["conflict"] += 1
            mine_l.append(time.perf_counter() - t0)
        connection.close()
        with lock:
            latencies.extend(mine_l)
            for k, v in mine.items():
                counts[k] += v

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((counts, latencies))


def booking_round(users: list, items: list, seconds: float, round_no: int,
                  processes: int) -> dict[str, float]:
    import multiprocessing

    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    share = [users[p::processes] for p in range(processes)]
    procs = [ctx.Process(target=_client_process, args=(
        [u.pk for u in part], [e.pk for e in items], seconds, round_no, p, out))
        for p, part in enumerate(share)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    ok = sum(c["ok"] for c, _l in results)
    conflicts = sum(c["conflict"] for c, _l in results)
    latencies = sorted(x for _c, lat in results for x in lat)
    return {"bookings_per_s": ok / wall, "attempts_per_s": (ok + conflicts) / wall,
            "conflicts": conflicts, "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)]}


def http_round(users: list, items: list, seconds: float, round_no: int,
               workers: int) -> dict[str, float]:
    """The same load through the API: gunicorn (`workers` processes x 8 threads) and 32 client
    threads posting JSON with their bearer tokens over kept-alive connections."""
    import http.client
    import json
    import socket

    from clusterhub.core.actions import create_token

    tokens = [create_token(None, u)[1] for u in users]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "clusterhub.wsgi", "-b",
         f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "8", "--log-level",
         "warning"], env=os.environ.copy())
    try:
        for _ in range(300):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/api/v1/equipment")
                break
            except OSError:
                time.sleep(0.1)
        base = datetime(2031, 1, 1, tzinfo=SEOUL) + timedelta(days=400 * (round_no + 10))
        latencies: list[float] = []
        counts = {"ok": 0, "conflict": 0, "other": 0}
        lock = threading.Lock()
        barrier = threading.Barrier(len(tokens))

        def client(i: int) -> None:
            rng = random.Random(7000 + i * 10 + round_no)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json"}
            mine_l, mine = [], {"ok": 0, "conflict": 0, "other": 0}
            barrier.wait()
            stop = time.perf_counter() + seconds
            while time.perf_counter() < stop:
                item = rng.choice(items)
                start = base + timedelta(days=rng.randrange(365), hours=rng.randrange(23))
                body = json.dumps({"start": start.isoformat(),
                                   "end": (start + timedelta(hours=1)).isoformat()})
                t0 = time.perf_counter()
                conn.request("POST", f"/api/v1/equipment/{item.external_id}/bookings", body,
                             headers)
                resp = conn.getresponse()
                resp.read()
                mine_l.append(time.perf_counter() - t0)
                key = {201: "ok", 409: "conflict"}.get(resp.status, "other")
                mine[key] += 1
            with lock:
                latencies.extend(mine_l)
                for k, v in mine.items():
                    counts[k] += v

        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(tokens))]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    return {"bookings_per_s": counts["ok"] / wall, "errors": counts["other"],
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)]}


def availability_bench(n_items: int = 5000, sites: int = 50, repeats: int = 7) -> dict[str, float]:
    from datetime import time as dtime

    from clusterhub.core.models import Organisation
    from clusterhub.equipment import availability
    from clusterhub.equipment.models import Blackout, Booking, Equipment, OpeningHours

    orgs = Organisation.objects.bulk_create([Organisation(
        external_id=f"avail-site-{i}", name=f"센터 {i}", kind="technopark") for i in range(sites)])
    OpeningHours.objects.bulk_create([OpeningHours(site=o, weekday=wd, opens=dtime(9),
                                                   closes=dtime(18))
                                      for o in orgs for wd in range(5)])
    Equipment.objects.bulk_create([Equipment(
        external_id=f"avail-{i}", name=f"장비 {i}", owner=orgs[i % sites], site=orgs[i % sites],
        classification="B0101", modes=["direct"], setup_minutes=15, cleanup_minutes=15)
        for i in range(n_items)], batch_size=2000)
    items = list(Equipment.objects.filter(external_id__startswith="avail-"))
    monday = datetime(2032, 3, 1, tzinfo=availability.TZ)  # a Monday
    rows, blackouts = [], []
    rng = random.Random(5)
    for e in items:
        for d in rng.sample(range(5), 2):  # two bookings a week per item
            s = monday + timedelta(days=d, hours=rng.choice([9, 10, 13, 14]))
            rows.append(Booking(equipment=e, start=s, end=s + timedelta(hours=2),
                                blocked_start=s - timedelta(minutes=15),
                                blocked_end=s + timedelta(hours=2, minutes=15),
                                status="confirmed"))
        if rng.random() < 0.05:
            blackouts.append(Blackout(equipment=e, starts_at=monday + timedelta(days=2),
                                      ends_at=monday + timedelta(days=3)))
    Booking.objects.bulk_create(rows, batch_size=2000)
    Blackout.objects.bulk_create(blackouts)
    end = monday + timedelta(days=7)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        qs = availability.calendar_items(Equipment.objects.filter(external_id__startswith="avail-"))
        cals = availability.calendars(qs, monday, end)
        times.append(time.perf_counter() - t0)
        assert len(cals) == n_items
    return {"items": n_items, "bookings": len(rows), "median_ms": 1000 * statistics.median(times),
            "min_ms": 1000 * min(times), "max_ms": 1000 * max(times)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--items", type=int, default=256)
    parser.add_argument("--processes", type=int, default=4,
                        help="worker processes sharing the clients (as gunicorn workers)")
    parser.add_argument("--pgbench-scale", type=int, default=32)
    parser.add_argument("--availability-only", action="store_true")
    parser.add_argument("--http", action="store_true",
                        help="also post the bookings through the API (gunicorn)")
    args = parser.parse_args()
    recreate(DB)
    if args.availability_only:
        setup_django()
        a = availability_bench()
        print(f"availability: {a['items']} items, {a['bookings']} bookings, one week: median "
              f"{a['median_ms']:.0f} ms (min {a['min_ms']:.0f}, max {a['max_ms']:.0f})")
        return
    recreate(PGBENCH_DB)
    setup_django()
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 600
    users, items = booking_data(args.clients, args.items)
    rounds = []
    for r in range(args.rounds):
        tps = pgbench(args.clients, args.seconds, args.pgbench_scale)
        b = booking_round(users, items, args.seconds, r, args.processes)
        b["pgbench_tps"] = tps
        b["ratio"] = b["bookings_per_s"] / tps
        rounds.append(b)
        print(f"round {r + 1}: pgbench {tps:.0f} tps | bookings {b['bookings_per_s']:.1f}/s "
              f"({b['attempts_per_s']:.1f} attempts/s, {b['conflicts']} conflicts) = "
              f"{100 * b['ratio']:.1f}% | p50 {b['p50_ms']:.1f} ms p99 {b['p99_ms']:.1f} ms",
              flush=True)
    if args.http:
        for r, b in enumerate(rounds):
            h = http_round(users, items, args.seconds, r, args.processes)
            b["http_per_s"], b["http_p99_ms"] = h["bookings_per_s"], h["p99_ms"]
            print(f"round {r + 1} through the API: {h['bookings_per_s']:.1f} bookings/s "
                  f"({h['errors']} errors), p50 {h['p50_ms']:.1f} ms p99 {h['p99_ms']:.1f} ms",
                  flush=True)
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    print(f"median of {args.rounds}: pgbench {med['pgbench_tps']:.0f} tps, bookings "
          f"{med['bookings_per_s']:.1f}/s = {100 * med['ratio']:.1f}% of pgbench, "
          f"p50 {med['p50_ms']:.1f} ms, p99 {med['p99_ms']:.1f} ms")
    a = availability_bench()
    print(f"availability: {a['items']} items, {a['bookings']} bookings, one week: median "
          f"{a['median_ms']:.0f} ms (min {a['min_ms']:.0f}, max {a['max_ms']:.0f})")


if __name__ == "__main__":
    main()
