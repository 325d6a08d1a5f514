"""No load makes two bookings overlap: a live server (gunicorn, several worker processes and
threads) against its own database, on whichever database the tests run on (SQLite or
PostgreSQL); many clients fire overlapping and adjacent bookings at once. Exactly one wins
each contested slot, every adjacent one succeeds, and the database holds no overlap."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

SEOUL = ZoneInfo("Asia/Seoul")
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
DAY = datetime(2030, 3, 4, tzinfo=SEOUL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scratch_postgres(name: str) -> str:
    """A fresh database next to the test database; its URL."""
    import psycopg

    db = settings.DATABASES["default"]
    params = {"host": db.get("HOST") or "127.0.0.1", "port": db.get("PORT") or 5432,
              "user": db["USER"], "password": db["PASSWORD"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return (f"postgres://{params['user']}:{params['password']}@{params['host']}:{params['port']}"
            f"/{name}")


def _drop_postgres(name: str) -> None:
    import psycopg

    db = settings.DATABASES["default"]
    with psycopg.connect(dbname="postgres", autocommit=True, host=db.get("HOST") or "127.0.0.1",
                         port=db.get("PORT") or 5432, user=db["USER"],
                         password=db["PASSWORD"]) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def live_hub(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"CLUSTERHUB_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "clusterhub.settings",
                "SECRET_KEY": "live-test", "CLUSTERHUB_TASK_BACKEND":
                "django_tasks.backends.immediate.ImmediateBackend"})
    pg_name = None
    if settings.DATABASE_IS_POSTGRES:
        pg_name = f"{settings.DATABASES['default']['NAME']}_live"
        env["DATABASE_URL"] = _scratch_postgres(pg_name)
    cli = [str(BIN / "python"), "-m", "clusterhub"]
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    out = subprocess.run([*cli, "shell", "-c", (HERE / "live_setup.py").read_text()], env=env,
                         check=True, capture_output=True, text=True, timeout=120).stdout
    tokens = json.loads(next(line for line in out.splitlines() if line.startswith("TOKENS="))[7:])
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "clusterhub.wsgi", "-b", f"127.0.0.1:{port}", "--workers", "3",
         "--threads", "4", "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/api/v1/equipment", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        yield {"base": base, "tokens": tokens, "env": env}
    finally:
        server.terminate()
        server.wait(timeout=30)
        if pg_name:
            _drop_postgres(pg_name)


def _post(base: str, token: str, item: str, start: datetime, end: datetime) -> tuple[int, Any]:
    body = json.dumps({"start": start.isoformat(), "end": end.isoformat(), "mode": "direct"})
    req = urllib.request.Request(f"{base}/api/v1/equipment/{item}/bookings", body.encode(),
                                 {"Authorization": f"Bearer {token}",
                                  "Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_contested_and_adjacent_bookings_under_load(live_hub: dict[str, Any]) -> None:
    base, tokens = live_hub["base"], live_hub["tokens"]
    # Buffers are 5 + 5 minutes. In every two hours from 08:00 Seoul: a contested group of
    # five uses that all contain hh:30 (any two overlap), and an adjacent use at hh+1:10-hh+1:50
    # whose buffered interval [hh+1:05, hh+1:55) just touches the group's widest blocked
    # interval [hh-0:05, hh+1:05) and the next group's [hh+1:55, ...).
    jobs: list[tuple[str, str, datetime, datetime]] = []
    for item in ("live-0", "live-1"):
        for g in range(6):
            h = DAY.replace(hour=8 + 2 * g)
            for a, b in ((0, 60), (10, 50), (20, 40), (29, 31), (25, 60)):
                jobs.append((f"{item}/g{g}", item, h + timedelta(minutes=a), h + timedelta(minutes=b)))
            jobs.append((f"{item}/adj{g}", item, h + timedelta(minutes=70),
                         h + timedelta(minutes=110)))
    barrier = threading.Barrier(len(jobs))

    def fire(i: int) -> tuple[str, int, Any]:
        key, item, start, end = jobs[i]
        barrier.wait()
        status, body = _post(base, tokens[i % len(tokens)], item, start, end)
        return key, status, body

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(fire, range(len(jobs))))
    by_key: dict[str, list[int]] = {}
    for key, status, body in results:
        assert status in (201, 409), (key, status, body)
        if status == 409:
            assert body["conflict"] is not None or body["code"] == "conflict"
        by_key.setdefault(key, []).append(status)
    for key, statuses in by_key.items():
        if "/adj" in key:
            assert statuses == [201], key
        else:
            assert sorted(statuses) == [201, 409, 409, 409, 409], (key, statuses)
    _assert_no_overlap(live_hub["env"])


def _assert_no_overlap(env: dict[str, str]) -> None:
    """Read the server's database: no two blocking bookings of an item meet."""
    script = (
        "from clusterhub.equipment.models import Booking, BLOCKING\n"
        "rows = list(Booking.objects.filter(status__in=BLOCKING).order_by('equipment_id', "
        "'blocked_start').values_list('equipment_id', 'blocked_start', 'blocked_end'))\n"
        "bad = [(a, b) for a, b in zip(rows, rows[1:]) if a[0] == b[0] and b[1] < a[2]]\n"
        "print('ROWS', len(rows), 'OVERLAPS', len(bad))\n"
    )
    out = subprocess.run([str(BIN / "python"), "-m", "clusterhub", "shell", "-c", script], env=env,
                         check=True, capture_output=True, text=True, timeout=120).stdout
    assert "ROWS 24 OVERLAPS 0" in out, out
