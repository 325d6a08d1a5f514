"""Create benchmark support requests and users directly (requests are not an import type).

    CLUSTERHUB_DATA_DIR=... .venv/bin/python bench/load_requests.py --requests 50000

Run after importing a dataset from make_dataset.py. Creates, with bulk_create and a fixed seed:
one coordinator per support desk (`bench-coord-<region code>`), one SME member per requesting
firm (`bench-sme-<n>`), and N requests routed to the desk of the firm's region, spread over
statuses, support types, urgencies and the last three years, so that some open requests are past
their first-contact or plan deadline (overdue). `--replace` first deletes what an earlier run made.
Every bench user's password is `bench-password`.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterhub.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from vocab import ACTIONS, DEFECTS, FIELD_KEYWORDS, SUPPORT_TYPES  # noqa: E402

from clusterhub.core.models import Organisation, Profile, TechField  # noqa: E402
from clusterhub.support import sla  # noqa: E402
from clusterhub.support.models import SupportRequest  # noqa: E402

PASSWORD = "bench-password"
# (status, weight, age range in days): open requests are recent, finished ones older.
STATUSES = [
    ("submitted", 12, (0, 20)), ("triaged", 8, (2, 40)), ("assigned", 8, (5, 60)),
    ("in_progress", 14, (10, 200)), ("resolved", 5, (30, 300)),
    ("outcome_recorded", 5, (40, 400)), ("closed", 38, (60, 1095)),
    ("withdrawn", 5, (5, 1095)), ("rejected", 5, (5, 1095)),
]
BATCH = 2000


def _users_model():  # type: ignore[no-untyped-def]
    return get_user_model()


def replace() -> None:
    User = _users_model()
    bench_users = User.objects.filter(username__startswith="bench-")
    with transaction.atomic():
        SupportRequest.objects.filter(submitted_by__in=bench_users).delete()
        Profile.objects.filter(user__in=bench_users).delete()
        bench_users.delete()


def load(n: int, seed: int) -> dict[str, int]:
    rnd = random.Random(seed)
    User = _users_model()
    if User.objects.filter(username__startswith="bench-").exists():
        raise SystemExit("bench users exist already: run with --replace")
    desks = {o.region_id: o for o in Organisation.objects.filter(is_support_desk=True)
             .order_by("pk")}
    if not desks:
        raise SystemExit("no support desk: import a dataset from make_dataset.py first")
    firm_ids = list(Organisation.objects.filter(kind="firm", region_id__in=list(desks))
                    .order_by("pk").values_list("pk", "region_id"))
    fields = dict(TechField.objects.exclude(parent=None).values_list("external_id", "pk"))
    groups = {fid: fid.split("-")[0] for fid in fields}
    field_ids = sorted(fid for fid in fields if groups[fid] in FIELD_KEYWORDS)
    password = make_password(PASSWORD)  # one hash for all: hashing 10k times takes minutes
    now = timezone.now()
    statuses = [s for s, _w, _a in STATUSES]
    weights = [w for _s, w, _a in STATUSES]
    ages = {s: a for s, _w, a in STATUSES}

    with transaction.atomic():
        # Coordinators, one per desk.
        coords = User.objects.bulk_create([
            User(username=f"bench-coord-{desk.region.code}", password=password,
                 email=f"coord-{desk.region.code}@example.org")
            for desk in Organisation.objects.filter(pk__in=[d.pk for d in desks.values()])
            .select_related("region")
        ])
        coords = list(User.objects.filter(username__startswith="bench-coord-"))
        by_code = {u.username.removeprefix("bench-coord-"): u for u in coords}
        Profile.objects.bulk_create([
            Profile(user=by_code[d.region.code], role="coordinator", organisation=d)
            for d in Organisation.objects.filter(pk__in=[d.pk for d in desks.values()])
            .select_related("region")
        ])
        # Requesting firms (about one in ten requests comes from a new firm) and their members.
        n_firms = max(1, min(len(firm_ids), n // 10))
        firms = rnd.sample(firm_ids, n_firms)
        User.objects.bulk_create(
            [User(username=f"bench-sme-{i}", password=password) for i in range(n_firms)],
            batch_size=BATCH)
        smes = dict(User.objects.filter(username__startswith="bench-sme-")
                    .values_list("username", "pk"))
        sme_ids = [smes[f"bench-sme-{i}"] for i in range(n_firms)]
        Profile.objects.bulk_create(
            [Profile(user_id=sme_ids[i], role="sme", organisation_id=firms[i][0])
             for i in range(n_firms)], batch_size=BATCH)

        through = SupportRequest.fields.through
        made = 0
        while made < n:
            rows = []
            row_fields = []
            for _ in range(min(BATCH, n - made)):
                i = rnd.randrange(n_firms)
                firm_id, region_id = firms[i]
                status = rnd.choices(statuses, weights)[0]
                lo, hi = ages[status]
                created = now - timedelta(days=rnd.uniform(lo, hi))
                contact_due, plan_due = sla.contact_due(created), sla.plan_due(created)
                chosen = sorted(set(rnd.sample(field_ids, rnd.randint(1, 2))))
                words = [rnd.choice(FIELD_KEYWORDS[groups[f]]) for f in chosen]
                defect = rnd.choice(DEFECTS)
                past_submitted = status != "submitted"
                planned = status not in ("submitted", "triaged", "assigned")
                # Some contacts and plans are late or missing: those requests are overdue.
                first_contact = (created + timedelta(hours=rnd.uniform(2, 120))
                                 if past_submitted and rnd.random() < 0.9 else None)
                plan = (created + timedelta(days=rnd.uniform(3, 30))
                        if planned and rnd.random() < 0.9 else None)
                finished = status in ("resolved", "outcome_recorded", "closed")
                ended = status in ("withdrawn", "rejected")
                resolved_at = created + timedelta(days=rnd.uniform(20, 60)) if finished else None
                rows.append(SupportRequest(
                    firm_id=firm_id, submitted_by_id=sme_ids[i],
                    title=f"{words[0]} {defect} 개선 요청",
                    description=(f"{' '.join(words)} 공정에서 {defect}이(가) 반복됩니다. "
                                 f"{rnd.choice(ACTIONS)} 검토를 요청합니다."),
                    support_type=rnd.choice(SUPPORT_TYPES), region_id=region_id,
                    urgency=rnd.choices(["low", "normal", "high"], [2, 6, 2])[0],
                    consent_publish=rnd.random() < 0.5, status=status,
                    routed_to_id=desks[region_id].pk, created_at=created,
                    contact_due_at=contact_due, plan_due_at=plan_due,
                    first_contact_at=first_contact if first_contact is None
                    or first_contact < now else None,
                    plan_at=plan if plan is None or plan < now else None,
                    resolved_at=resolved_at,
                    closed_at=resolved_at + timedelta(days=30)
                    if status == "closed" and resolved_at else None,
                    solution_summary=f"{rnd.choice(ACTIONS)} 적용" if finished else "",
                    end_reason="요청 범위 밖" if ended else "",
                ))
                row_fields.append([fields[f] for f in chosen])
            created_rows = SupportRequest.objects.bulk_create(rows)
            if created_rows[0].pk is None:  # backends that return no ids: read them back
                last = list(SupportRequest.objects.order_by("-pk")
                            .values_list("pk", flat=True)[:len(rows)])[::-1]
                for row, pk in zip(created_rows, last, strict=True):
                    row.pk = pk
            through.objects.bulk_create([
                through(supportrequest_id=row.pk, techfield_id=fid)
                for row, fids in zip(created_rows, row_fields, strict=True) for fid in fids
            ])
            made += len(rows)
    return {"desks": len(desks), "coordinators": len(coords), "smes": n_firms, "requests": n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2006)
    parser.add_argument("--replace", action="store_true",
                        help="delete the bench users and their requests first")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.replace:
        replace()
    counts = load(args.requests, args.seed)
    print(", ".join(f"{v} {k}" for k, v in counts.items())
          + f" in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
