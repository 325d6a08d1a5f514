"""Collab benchmarks (docs/collab.md, "Benchmarks"), on SQLite in a fresh data directory, or on
PostgreSQL with DATABASE_URL pointing at a scratch database (it is migrated, then written to).

1. Downloads: a 10 MB STEP file (read, SHA-256 verified, logged) and a 50-page PDF (verified,
   stamped on every page, logged): ms per download through actions.download.
2. KPIs: kpis.compute over a workspace with N delivered jobs (15 stages, 2 waiting intervals and
   2 applied changes each) and 10 receipts per job.
3. Job board: server time of /collab/w/<id>/board/ (Django's test client, in process) with
   200 open jobs, and of the htmx poll when nothing changed (204).

    .venv/bin/python bench/collab/bench_collab.py [--jobs 500] [-n 20]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
SEOUL = ZoneInfo("Asia/Seoul")


def setup() -> None:
    os.environ.setdefault("CLUSTERHUB_DATA_DIR", tempfile.mkdtemp(prefix="collab-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "clusterhub.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(fn, n: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def pdf_pages(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(842, 595))
    for p in range(pages):
        c.drawString(72, 500, f"DRAWING SHEET {p + 1}")
        for k in range(40):
            c.line(50 + k * 18, 50, 60 + k * 18, 540)
        c.showPage()
    c.save()
    return buf.getvalue()


def world():  # type: ignore[no-untyped-def]
    from django.conf import settings

    from clusterhub.collab import actions
    from clusterhub.collab.models import Membership
    from clusterhub.core.models import Organisation, Region
    from clusterhub.testing import make_user

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CLUSTERHUB_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
    region, _ = Region.objects.get_or_create(code="48", defaults={
        "name": "경상남도", "short_name": "경남", "name_en": "Gyeongsangnam-do"})
    lead = Organisation.objects.create(external_id="bench-lead", name="벤치 주관", kind="firm",
                                       region=region)
    sup = Organisation.objects.create(external_id="bench-sup", name="벤치 금형", kind="firm",
                                      region=region)
    owner = make_user("bench-owner", "sme", lead)
    supplier = make_user("bench-sup", "sme", sup)
    ws = actions.create_workspace(owner, name="벤치", lead_firm=lead)
    Membership.objects.create(workspace=ws, user=supplier, organisation=sup, role="manager")
    return ws, lead, sup, owner, supplier


def bench_downloads(ws, owner, supplier, sup, n: int) -> None:  # type: ignore[no-untyped-def]
    from clusterhub.collab import actions

    step = b"ISO-10303-21;\nHEADER;\n" + os.urandom(10 * 1024 * 1024)
    doc = actions.create_document(owner, ws, number="B-STEP", title="큰 모델", kind="cad",
                                  distribution=[sup])
    it = actions.upload(owner, doc, name="model.stp", content=step)
    actions.release(owner, it.revision)
    p50, p95 = timed(lambda: actions.download(supplier, it), n)
    print(f"download 10 MB STEP (verify + log): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    pdf = pdf_pages(50)
    doc2 = actions.create_document(owner, ws, number="B-PDF", title="도면집", kind="drawing",
                                   distribution=[sup])
    it2 = actions.upload(owner, doc2, name="set.pdf", content=pdf)
    actions.release(owner, it2.revision)
    p50, p95 = timed(lambda: actions.download(supplier, it2), n)
    print(f"download 50-page PDF, {len(pdf) // 1024} KB (verify + stamp + log): "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")


def bench_kpis(ws, lead, sup, owner, jobs: int, n: int) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from clusterhub.collab import actions, kpis
    from clusterhub.collab.models import (
        ChangeRequest,
        Document,
        Job,
        JobStage,
        Receipt,
        Revision,
        WaitingInterval,
    )

    t0 = time.perf_counter()
    start = date(2025, 1, 1)
    with transaction.atomic():
        doc = Document.objects.create(workspace=ws, number="B-KPI", title="x", kind="drawing")
        for j in range(jobs):
            ordered = start + timedelta(days=j % 200)
            job = actions.create_job(owner, ws, code=f"K-{j}", title="금형",
                                     kind="injection_mould", supplier=sup, ordered_on=ordered,
                                     due_on=ordered + timedelta(days=80))
            Job.objects.filter(pk=job.pk).update(status="delivered",
                                                 delivered_on=ordered + timedelta(days=70 + j % 20))
            JobStage.objects.filter(job=job, code="t0").update(actual_start=ordered + timedelta(50))
            JobStage.objects.filter(job=job, code="approval").update(
                actual_start=ordered + timedelta(60), actual_end=ordered + timedelta(62),
                status="done", evidence_record="승인")
            WaitingInterval.objects.bulk_create([
                WaitingInterval(job=job, external_id=f"{job.external_id}-w{k}",
                                started_on=ordered + timedelta(days=5 + 10 * k),
                                ended_on=ordered + timedelta(days=9 + 10 * k), reason="대기")
                for k in range(2)])
            for k in range(2):
                cr = ChangeRequest.objects.create(
                    workspace=ws, number=2 * j + k + 1, title="변경", reason="r",
                    origin="customer", raised_by_firm=lead, phase="before_steel",
                    status="applied", applied_at=datetime(2025, 6, 1, tzinfo=SEOUL))
                cr.jobs.add(job)
            rev = Revision.objects.create(document=doc, index=j, letter=f"R{j}",
                                          state="superseded",
                                          released_at=datetime(2025, 3, 1, tzinfo=SEOUL))
            sent = datetime(2025, 3, 1, 9, tzinfo=SEOUL) + timedelta(hours=j)
            Receipt.objects.bulk_create([
                Receipt(revision=rev, organisation=sup if k == 0 else lead, sent_at=sent,
                        acknowledged_at=sent + timedelta(hours=k + 1)) for k in range(2)])
    print(f"KPI data: {jobs} jobs written in {time.perf_counter() - t0:.1f} s")
    p50, p95 = timed(lambda: kpis.compute(ws, date(2025, 1, 1), date(2025, 12, 31)), n)
    print(f"kpis.compute, {jobs} delivered jobs: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


def bench_board(ws, owner, sup, n: int) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    from clusterhub.collab import actions
    from clusterhub.collab.models import Workspace

    for j in range(200):
        actions.create_job(owner, ws, code=f"O-{j}", title="진행 금형", kind="blow_mould",
                           supplier=sup, ordered_on=date(2026, 1, 1),
                           due_on=date(2026, 4, 1))
    client = Client()
    client.force_login(owner)
    url = f"/collab/w/{ws.pk}/board/"
    version = Workspace.objects.get(pk=ws.pk).version
    p50, p95 = timed(lambda: client.get(url), n)
    print(f"job board page, 200 open jobs of {ws.jobs.count()}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    p50, p95 = timed(lambda: client.get(f"{url}live/?v={version}"), n)
    print(f"board poll, nothing changed (204): p50 {p50:.1f} ms, p95 {p95:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("-n", type=int, default=20)
    args = parser.parse_args()
    setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    print(f"database: {settings.DATABASES['default']['ENGINE']}; load average "
          f"{os.getloadavg()[0]:.1f}")
    ws, lead, sup, owner, supplier = world()
    bench_downloads(ws, owner, supplier, sup, args.n)
    bench_kpis(ws, lead, sup, owner, args.jobs, args.n)
    bench_board(ws, owner, sup, args.n)


if __name__ == "__main__":
    main()
