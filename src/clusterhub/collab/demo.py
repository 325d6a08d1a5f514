"""Demo data of the collab app: the seed's four e-Manufacturing collaboration centres (seed
l.3212-3218, data/seed_results.json) as workspaces led by their lead firms, with supplier
SMEs from the demo's firms. The injection-mould design centre gets a year of history (the
baseline), a mould run from kick-off to shipment in the current period, and open jobs in
several stages, so that the KPI page shows figures computed from what the firms did.

Every state change goes through actions.py; afterwards the timestamps are moved onto the
simulated calendar (a demo cannot wait 70 days for a mould)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clusterhub.core.actions import create_user
from clusterhub.core.models import Organisation

from . import actions
from .kpis import seed_results
from .models import (
    Approval,
    ChangeRequest,
    Job,
    JobStage,
    Membership,
    Receipt,
    Revision,
    StageStatus,
    TransferError,
    WaitingInterval,
    Workspace,
)

LEAD_USERS = ["samjin", "dncjone", "donga", "samsung"]


def _password() -> str:
    from clusterhub.core.management.commands.demo_data import DEMO_PASSWORD

    return DEMO_PASSWORD


def _pdf(title: str, body: str) -> bytes:
    from clusterhub.core.pdf import PdfDocument

    doc = PdfDocument(title, "e-매뉴팩처링 협업센터 데모")
    doc.paragraph(body)
    return doc.render()


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), timezone.get_current_timezone())


def _user(username: str, org: Organisation) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    return user or create_user(None, username, "sme", org, email=f"{username}@demo.example",
                               password=_password())


def _lead_firm(centre: dict[str, Any], region: Any) -> Organisation:
    org, _created = Organisation.objects.get_or_create(
        external_id=f"emc-lead-{centre['id']}",
        defaults={"name": centre["lead"], "kind": Organisation.Kind.FIRM,
                  "sector": Organisation.Sector.MANUFACTURING, "region": region,
                  "source": f"seed l.3212-3218 ({centre['name']})",
                  "is_sme_override": centre["lead"] != "삼성전자"})
    return org


def _suppliers(exclude: set[int], n: int) -> list[Organisation]:
    """SME firms of the demo, mould and injection firms first, never a centre's lead firm."""
    firms = (Organisation.objects.firms().filter(is_sme=True).exclude(pk__in=exclude)
             .exclude(external_id__startswith="emc-lead-"))
    mould = list(firms.filter(Q(fields__external_id__startswith="mould")
                              | Q(fields__external_id__startswith="injection"))
                 .distinct().order_by("external_id")[:n])
    if len(mould) < n:
        mould += list(firms.exclude(pk__in={o.pk for o in mould}).order_by("external_id")
                      [: n - len(mould)])
    return mould[:n]


class Demo:
    def __init__(self, users: dict[str, Any], stdout: Any) -> None:
        self.users = users
        self.stdout = stdout
        self.rng = random.Random(2005)
        self.today = timezone.localdate()

    # --- workspaces -----------------------------------------------------------------------
    def run(self) -> None:
        centres = seed_results()["centres"]
        if Workspace.objects.filter(external_id=centres[0]["id"]).exists():
            return  # already there: demo-data is safe to run twice
        sme = self.users["sme"]
        sme_firm = sme.profile.organisation
        region = sme_firm.region if sme_firm else None
        # The other demo SME stays outside every workspace (it shows the 404s).
        other = self.users["sme_other"].profile.organisation
        taken = {o.pk for o in (sme_firm, other) if o is not None}
        for i, centre in enumerate(centres):
            lead = _lead_firm(centre, region)
            owner = _user(LEAD_USERS[i], lead)
            ws = actions.create_workspace(
                owner, name=centre["name"], lead_firm=lead, external_id=centre["id"],
                description=(f"{centre['lead']} 중심, {', '.join(centre['members'])} 등 "
                             f"총 {centre['firms']}개 기업 참여 (seed l.3212-3218)."),
                source="seed l.3190-3244")
            suppliers = _suppliers(taken, 3 if i == 0 else 2)
            taken |= {s.pk for s in suppliers}
            people = {lead.pk: owner}
            for k, firm in enumerate(suppliers):
                person = _user(f"{LEAD_USERS[i]}-sup{k + 1}", firm)
                self._join(owner, ws, person, firm, "manager")
                people[firm.pk] = person
            if i == 0 and sme_firm is not None:
                self._join(owner, ws, sme, sme_firm, "manager")
                people[sme_firm.pk] = sme
                self.main(ws, lead, owner, [sme_firm, *suppliers[:2]], people, suppliers[-1])
            else:
                self.small(ws, lead, owner, suppliers, people, centre["kind"])
        self.stdout.write(f"collab: {len(centres)} workspaces (lead logins: "
                          f"{', '.join(LEAD_USERS)}; {sme.username} is a supplier manager of "
                          f"{centres[0]['name']})")

    def _join(self, owner: Any, ws: Workspace, person: Any, firm: Any, role: str) -> None:
        _inv, token = actions.invite(owner, ws, email=person.email, organisation=firm,
                                     role=role)
        actions.accept_invitation(person, token)

    # --- one job walked through its stages ----------------------------------------------------
    def walk(self, job: Job, people: dict[int, Any], until: str | None, report: Any,
             delay: int = 0, trials: int = 1) -> date:
        """Start and close the job's stages in order until (not including) `until`, each with
        its evidence; returns the day the last one closed. `delay` days late per stage."""
        for _t in range(trials - 1):
            actions.add_trial(people[job.supplier_id], job)
        day = job.ordered_on
        for stage in job.stages.order_by("seq"):
            if stage.code == until:
                actions.start_stage(people[stage.responsible_id], stage, day)
                break
            actor = people.get(stage.responsible_id) or people[job.workspace.lead_firm_id]
            length = (stage.planned_end - stage.planned_start).days + self.rng.randint(0, delay)
            end = day + timedelta(days=length)
            evidence = None
            record = ""
            if stage.evidence_kind == JobStage.Evidence.FILE:
                it = actions.upload(actor, report, name=f"{job.code}-{stage.code}.pdf",
                                    content=_pdf(f"{job.code} {stage.name}",
                                                 f"{stage.evidence_label}: {job.title}"),
                                    note=stage.evidence_label)
                evidence = it.revision
                released = actions.release(people[job.workspace.lead_firm_id], it.revision)
                self._acks(released, end, hours=(3, 20))
            else:
                record = f"{stage.evidence_label} #{job.code}-{stage.seq}"
            actions.start_stage(actor, stage, day)
            actions.close_stage(actor, stage, end, evidence_revision=evidence,
                                evidence_record=record)
            day = end + timedelta(days=1)
        return day

    def _acks(self, rev: Revision, day: date, hours: tuple[int, int]) -> None:
        """Receipts sent on `day`; each recipient acknowledges some hours later."""
        sent = _at(day, 9)
        Revision.objects.filter(pk=rev.pk).update(released_at=sent)
        for r in rev.receipts.select_related("organisation"):
            members = Membership.objects.filter(workspace=rev.document.workspace,
                                                organisation=r.organisation)
            person = members.first()
            if person is None:
                continue
            actions.acknowledge(person.user, r)
            Receipt.objects.filter(pk=r.pk).update(
                sent_at=sent, acknowledged_at=sent + timedelta(hours=self.rng.randint(*hours)))

    def _change(self, ws: Workspace, raiser: Any, job: Job, docs: list[Any], title: str,
                reason: str, days: int, people: dict[int, Any], apply: bool = True,
                origin: str = "customer", on: date | None = None) -> ChangeRequest:
        cr = actions.raise_change(raiser, ws, title=title, reason=reason, origin=origin,
                                  documents=docs, jobs=[job], days=days,
                                  cost_krw=self.rng.choice([300_000, 800_000, 1_500_000]),
                                  steel_safe=days <= 3)
        if apply:
            for a in cr.approvals.all():
                actions.decide(people[a.organisation_id], cr, approve=True, comment="확인")
            actions.apply_change(people[ws.lead_firm_id], cr)
            if on is not None:
                ChangeRequest.objects.filter(pk=cr.pk).update(
                    created_at=_at(on), applied_at=_at(on, 17), decided_at=_at(on, 15))
        return cr

    # --- the main centre ----------------------------------------------------------------------
    def main(self, ws: Workspace, lead: Organisation, owner: Any, suppliers: list[Any],
             people: dict[int, Any], third: Any) -> None:
        today = self.today
        # A year ago: the baseline, five moulds delivered as before (history, long lead times).
        for n in range(5):
            ordered = today - timedelta(days=760 - 60 * n)
            self.history(ws, owner, suppliers[n % len(suppliers)], people, n, ordered)
        # This year: one mould from kick-off to shipment in the hub, with drawings, changes,
        # trials and a waiting interval.
        supplier = suppliers[0]
        ordered = today - timedelta(days=80)
        job = actions.create_job(owner, ws, code=f"IM-{today.year}-001",
                                 title="공기청정기 전면 커버 사출금형", kind="injection_mould",
                                 supplier=supplier, designer=suppliers[1], ordered_on=ordered,
                                 due_on=ordered + timedelta(days=75))
        part = self.drawing(ws, owner, job, "커버 부품도", [supplier, suppliers[1]], ordered)
        report = actions.create_document(owner, ws, number=f"{job.code}-RPT",
                                         title="단계별 검사·시험 보고서", kind="report", job=job,
                                         distribution=[lead])
        actions.record_waiting(people[supplier.pk], job, started_on=ordered + timedelta(days=8),
                               ended_on=ordered + timedelta(days=12),
                               reason="고객 최종 3D 데이터(수축률 반영) 대기")
        self._change(ws, people[supplier.pk], job, [part], "게이트 위치 변경",
                     "DFM 결과 웰드라인이 외관면에 생겨 게이트를 하단으로 이동", 2, people,
                     origin="supplier", on=ordered + timedelta(days=14))
        rev_b = self.release_next(part, owner, ordered + timedelta(days=15), "게이트 이동 반영")
        shipped = self.walk(job, people, None, report, delay=0, trials=2) - timedelta(days=1)
        delivered = max(min(shipped + timedelta(days=1), today - timedelta(days=1)), shipped)
        actions.record_logistics(people[supplier.pk], job, kind="shipment", on=shipped,
                                 carrier="대한통운", tracking="6081-2231-77")
        actions.record_logistics(owner, job, kind="delivery", on=delivered)
        actions.record_logistics(owner, job, kind="receipt", on=delivered, note="입고 검사 합격")
        self.downloads(rev_b, people, 3)
        # Open jobs in several stages.
        for k, (title, until, age) in enumerate([
                ("가습기 물통 사출금형", "design", 20), ("리모컨 케이스 사출금형", "machining", 38),
                ("조명 커버 사출금형", "t1", 62)], start=2):
            s = suppliers[k % len(suppliers)]
            o = today - timedelta(days=age)
            j = actions.create_job(owner, ws, code=f"IM-{today.year}-00{k}", title=title,
                                   kind="injection_mould", supplier=s, designer=suppliers[1],
                                   ordered_on=o, due_on=o + timedelta(days=70))
            rep = actions.create_document(owner, ws, number=f"{j.code}-RPT",
                                          title="단계별 검사·시험 보고서", kind="report", job=j,
                                          distribution=[lead])
            d = self.drawing(ws, owner, j, f"{title} 부품도", [s, suppliers[1], third], o)
            self.walk(j, people, until, rep)
            if until == "machining":
                # Revision B goes to the suppliers: the demo SME still has to acknowledge it.
                self._change(ws, owner, j, [d], "보스 높이 0.5mm 상향",
                             "조립 간섭 해소(고객 요청)", 3, people)
                rev = d.revisions.order_by("-index").first()
                assert rev is not None
                actions.upload(owner, d, name=f"{d.number}.pdf",
                               content=_pdf(d.number, "보스 높이 상향 반영"), note="보스 높이 상향")
                actions.release(owner, rev)
            if until == "t1":
                self._change(ws, people[s.pk], j, [d], "리브 두께 1.2→1.0mm",
                             "T0에서 싱크마크 발생", 4, people, apply=False, origin="supplier")
        # A transfer error of the current period (a superseded revision used).
        first = part.revisions.get(letter="A").iterations.first()
        if first is not None:
            actions.download(people[suppliers[1].pk], first)

    def drawing(self, ws: Workspace, owner: Any, job: Job, title: str, to: list[Any],
                on: date) -> Any:
        doc = actions.create_document(owner, ws, number=f"{job.code}-P01", title=title,
                                      kind="drawing", job=job, distribution=to)
        it = actions.upload(owner, doc, name=f"{doc.number}.pdf",
                            content=_pdf(f"{doc.number} {title}", "부품도 rev A"), note="최초 출도")
        rev = actions.release(owner, it.revision)
        self._acks(rev, on, hours=(2, 10))
        return doc

    def release_next(self, doc: Any, owner: Any, on: date, note: str) -> Revision:
        rev = doc.revisions.order_by("-index").first()
        actions.upload(owner, doc, name=f"{doc.number}.pdf",
                       content=_pdf(doc.number, note), note=note)
        rev = actions.release(owner, rev)
        self._acks(rev, on, hours=(1, 8))
        return rev

    def downloads(self, rev: Revision, people: dict[int, Any], n: int) -> None:
        it = rev.iterations.order_by("-number").first()
        for r in rev.receipts.all()[:n]:
            person = people.get(r.organisation_id)
            if person is not None and it is not None:
                actions.download(person, it)

    def history(self, ws: Workspace, owner: Any, supplier: Any, people: dict[int, Any], n: int,
                ordered: date) -> None:
        """A mould of last year as the hub's history holds it: long lead time, many changes,
        drawings sent by post and e-mail (slow acknowledgements), some transfer errors."""
        gross = 84 + self.rng.randint(0, 12)
        job = actions.create_job(owner, ws, code=f"IM-{ordered.year}-H{n + 1}",
                                 title=f"이전 사출금형 {n + 1}", kind="injection_mould",
                                 supplier=supplier, ordered_on=ordered,
                                 due_on=ordered + timedelta(days=80))
        delivered = ordered + timedelta(days=gross)
        Job.objects.filter(pk=job.pk).update(status="delivered", delivered_on=delivered)
        stages = list(job.stages.order_by("seq"))
        span = gross / len(stages)
        for k, st in enumerate(stages):
            a = ordered + timedelta(days=round(k * span))
            b = ordered + timedelta(days=round((k + 1) * span) - 1)
            JobStage.objects.filter(pk=st.pk).update(status=StageStatus.DONE, actual_start=a,
                                                     actual_end=max(a, b),
                                                     evidence_record="이력 자료(종이 문서)")
        WaitingInterval.objects.create(job=job, external_id=f"{job.external_id}-w",
                                       started_on=ordered + timedelta(days=10),
                                       ended_on=ordered + timedelta(days=16),
                                       reason="고객 도면 승인 대기")
        doc = self.drawing(ws, owner, job, "부품도", [supplier], ordered)
        rev = doc.revisions.get()
        Receipt.objects.filter(revision=rev).update(
            acknowledged_at=_at(ordered, 9) + timedelta(hours=self.rng.randint(40, 90)))
        for c in range(5 + self.rng.randint(0, 3)):
            cr = ChangeRequest.objects.create(
                workspace=ws, number=(ws.change_requests.count() + 1), title=f"설계사양 변경 {c + 1}",
                reason="전화·팩스로 전달된 변경", origin="customer", raised_by=owner,
                raised_by_firm=ws.lead_firm, days=2,
                phase="after_steel" if c % 2 else "before_steel", status="applied",
                created_at=_at(ordered + timedelta(days=5 + 7 * c)),
                applied_at=_at(ordered + timedelta(days=6 + 7 * c)))
            cr.jobs.add(job)
            Approval.objects.create(change=cr, organisation=ws.lead_firm,
                                    decision="approved", decided_at=cr.applied_at)
        it = rev.iterations.get()
        for e in range(2):
            TransferError.objects.create(workspace=ws, kind="superseded_used", iteration=it,
                                         organisation=supplier,
                                         at=_at(ordered + timedelta(days=20 + 9 * e)),
                                         detail="팩스로 받은 이전 도면으로 가공")

    # --- the other centres --------------------------------------------------------------------
    def small(self, ws: Workspace, lead: Organisation, owner: Any, suppliers: list[Any],
              people: dict[int, Any], kind: str) -> None:
        today = self.today
        for k, (until, age) in enumerate([("dfm", 12), ("t0", 50)]):
            s = suppliers[k % len(suppliers)]
            o = today - timedelta(days=age)
            code = f"{'BM' if kind == 'blow_mould' else 'IM'}-{today.year}-{ws.pk}{k + 1}"
            j = actions.create_job(owner, ws, code=code, title="협업 금형", kind=kind,
                                   supplier=s, ordered_on=o, due_on=o + timedelta(days=65))
            rep = actions.create_document(owner, ws, number=f"{code}-RPT", title="검사 보고서",
                                          kind="report", job=j, distribution=[lead])
            self.drawing(ws, owner, j, "제품도", suppliers, o)
            self.walk(j, people, until, rep)


def populate(users: dict[str, Any], stdout: Any) -> None:
    with transaction.atomic():
        Demo(users, stdout).run()
