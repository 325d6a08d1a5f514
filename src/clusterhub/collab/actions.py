"""Every state change of a collaboration workspace: explicit actor, one transaction, an audit
event, notifications after commit. Refusals raise ActionRefused saying why; nothing is half
written."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterhub.core.actions import ActionRefused
from clusterhub.core.audit import notify, record_event
from clusterhub.core.models import Organisation

from . import storage
from .models import (
    MANAGE_ROLES,
    WRITE_ROLES,
    Approval,
    Blob,
    ChangeOrigin,
    ChangeRequest,
    ChangeStatus,
    Document,
    DocumentKind,
    DownloadLog,
    Invitation,
    Iteration,
    Job,
    JobStage,
    JobStatus,
    LogisticsEvent,
    MemberRole,
    Membership,
    Phase,
    Receipt,
    Revision,
    RevisionState,
    StageStatus,
    TransferError,
    WaitingInterval,
    Workspace,
    new_external_id,
)

DATA = Path(__file__).resolve().parent / "data"
# Revision letters: A-Z without the letters read as digits (I, O, Q, S, X, Z), then AA, AB …
LETTERS = "ABCDEFGHJKLMNPRTUVWY"
INVITATION_DAYS = 14
LOCK_HOURS = 8


@cache
def stage_templates() -> dict[str, Any]:
    """Job kinds and their stages (data/stage_templates.json)."""
    return json.loads((DATA / "stage_templates.json").read_text(encoding="utf-8"))["kinds"]


def revision_letter(index: int) -> str:
    """0 → A, 1 → B, … 19 → Y, 20 → AA, 21 → AB … (letters of LETTERS only)."""
    if index < 0:
        raise ValueError("revision index must not be negative")
    n = len(LETTERS)
    if index < n:
        return LETTERS[index]
    index -= n
    width = 2
    while index >= n ** width:
        index -= n ** width
        width += 1
    chars = []
    for _i in range(width):
        index, r = divmod(index, n)
        chars.append(LETTERS[r])
    return "".join(reversed(chars))


# --- access --------------------------------------------------------------------------------

def membership_of(user: Any, workspace: Workspace) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return (Membership.objects.select_related("organisation", "workspace")
            .filter(workspace=workspace, user=user).first())


def _require(actor: Any, workspace: Workspace, roles: Iterable[str], what: str,
             lead: bool = False) -> Membership:
    m = membership_of(actor, workspace)
    roles = tuple(roles)
    if m is None or m.role not in roles or (lead and not m.is_lead):
        raise ActionRefused(
            _("Only %(roles)s%(lead)s can %(what)s.")
            % {"roles": ", ".join(str(MemberRole(r).label) for r in roles),
               "lead": _(" of the lead firm") if lead else "", "what": what},
            code="forbidden")
    return m


def _bump(workspace: Workspace) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(version=F("version") + 1)


def _firm_users(workspace: Workspace, org_ids: Iterable[int]) -> list[Any]:
    return [m.user for m in Membership.objects.filter(workspace=workspace,
                                                      organisation_id__in=list(org_ids))
            .select_related("user")]


def workspace_firms(workspace: Workspace) -> list[Organisation]:
    ids = set(workspace.memberships.values_list("organisation_id", flat=True))
    ids.add(workspace.lead_firm_id)
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def _check_member_firm(workspace: Workspace, org: Organisation | None, field: str) -> None:
    if org is None:
        return
    if org.pk != workspace.lead_firm_id and not workspace.memberships.filter(
            organisation=org).exists():
        raise ActionRefused(_("%(firm)s is not a firm of this workspace.") % {"firm": org.name},
                            field)


# --- workspaces and members ----------------------------------------------------------------

def create_workspace(actor: Any, *, name: str, lead_firm: Organisation, description: str = "",
                     source: str = "", external_id: str | None = None) -> Workspace:
    """A member of a firm opens a workspace for it and becomes its owner."""
    profile = getattr(actor, "profile", None)
    if profile is None or profile.organisation_id != lead_firm.pk:
        raise ActionRefused(_("Only a member of the lead firm can open its workspace."),
                            code="forbidden")
    if lead_firm.kind != Organisation.Kind.FIRM:
        raise ActionRefused(_("A workspace is led by a firm."), "lead_firm")
    if not name.strip():
        raise ActionRefused(_("A name is required."), "name")
    with transaction.atomic():
        ws = Workspace.objects.create(external_id=external_id or new_external_id("ws"),
                                      name=name.strip(), lead_firm=lead_firm,
                                      description=description, source=source)
        Membership.objects.create(workspace=ws, user=actor, organisation=lead_firm,
                                  role=MemberRole.OWNER)
        record_event(actor, "collab.workspace.created", ws, lead_firm=lead_firm.external_id)
    return ws


def invite(actor: Any, workspace: Workspace, *, email: str, organisation: Organisation,
           role: str, days: int = INVITATION_DAYS) -> tuple[Invitation, str]:
    """An invitation by e-mail for a person of `organisation`; returns it and the token (shown
    once, sent in the e-mail; only its hash is kept)."""
    _require(actor, workspace, MANAGE_ROLES, _("invite"))
    email = email.strip().lower()
    if "@" not in email:
        raise ActionRefused(_("Give a valid e-mail address."), "email")
    if role not in MemberRole.values or role == MemberRole.OWNER:
        raise ActionRefused(_("Invite as manager, member, read-only or guest."), "role")
    if organisation.kind != Organisation.Kind.FIRM:
        raise ActionRefused(_("Members act for firms."), "organisation")
    if not 1 <= days <= 90:
        raise ActionRefused(_("An invitation is valid for 1 to 90 days."), "days")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        inv = Invitation.objects.create(workspace=workspace, email=email,
                                        organisation=organisation, role=role,
                                        token_digest=Invitation.digest_of(token),
                                        invited_by=actor, created_at=now,
                                        expires_at=now + timedelta(days=days))
        record_event(actor, "collab.invited", workspace, email=email, role=role,
                     organisation=organisation.external_id)
        url = reverse("collab:invitation", args=[token])
        subject = _("Invitation to the workspace %(ws)s") % {"ws": workspace.name}
        transaction.on_commit(lambda: send_mail(
            subject, _("Accept within %(days)d days: %(url)s") % {"days": days, "url": url},
            settings.DEFAULT_FROM_EMAIL, [email], fail_silently=True))
    return inv, token


def accept_invitation(actor: Any, token: str) -> Membership:
    inv = (Invitation.objects.select_related("workspace", "organisation")
           .filter(token_digest=Invitation.digest_of(token)).first())
    if inv is None:
        raise ActionRefused(_("This invitation does not exist."), code="not_found")
    if inv.accepted_at is not None:
        raise ActionRefused(_("This invitation has been used already."),
                            code="invalid_transition")
    if inv.is_expired:
        raise ActionRefused(_("This invitation expired on %(date)s.")
                            % {"date": f"{timezone.localtime(inv.expires_at):%Y-%m-%d}"},
                            code="invalid_transition")
    if not actor.is_authenticated or (actor.email or "").lower() != inv.email:
        raise ActionRefused(_("This invitation was sent to another e-mail address."),
                            code="forbidden")
    profile = getattr(actor, "profile", None)
    if profile is None or profile.organisation_id != inv.organisation_id:
        raise ActionRefused(_("This invitation is for a person of %(firm)s.")
                            % {"firm": inv.organisation.name}, code="forbidden")
    if Membership.objects.filter(workspace=inv.workspace, user=actor).exists():
        raise ActionRefused(_("You are already a member of this workspace."),
                            code="invalid_transition")
    with transaction.atomic():
        m = Membership.objects.create(workspace=inv.workspace, user=actor,
                                      organisation=inv.organisation, role=inv.role)
        inv.accepted_at = timezone.now()
        inv.accepted_by = actor
        inv.save(update_fields=["accepted_at", "accepted_by"])
        record_event(actor, "collab.joined", inv.workspace, role=inv.role)
        notify([inv.invited_by], _("%(user)s joined %(ws)s")
               % {"user": actor.username, "ws": inv.workspace.name}, "",
               inv.workspace.get_absolute_url())
        _bump(inv.workspace)
    return m


def set_role(actor: Any, membership: Membership, role: str) -> Membership:
    """Owners change anyone's role; managers change the roles below manager in their firm."""
    me = _require(actor, membership.workspace, MANAGE_ROLES, _("change roles"))
    if role not in MemberRole.values:
        raise ActionRefused(_("Unknown role."), "role")
    if me.role != MemberRole.OWNER and membership.organisation_id != me.organisation_id:
        raise ActionRefused(_("Managers change the roles of their own firm's people."),
                            code="forbidden")
    if me.role != MemberRole.OWNER and (MemberRole.OWNER in (role, membership.role)
                                         or MemberRole.MANAGER in (role, membership.role)):
        raise ActionRefused(_("Only an owner can grant or take the owner or manager role."),
                            code="forbidden")
    if membership.role == MemberRole.OWNER and role != MemberRole.OWNER and not (
            membership.workspace.memberships.filter(role=MemberRole.OWNER)
            .exclude(pk=membership.pk).exists()):
        raise ActionRefused(_("A workspace keeps at least one owner."), "role")
    with transaction.atomic():
        before = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record_event(actor, "collab.role", membership.workspace, user=membership.user.username,
                     from_role=before, to_role=role)
    return membership


# --- jobs and stages -----------------------------------------------------------------------

def create_job(actor: Any, workspace: Workspace, *, code: str, title: str, kind: str,
               supplier: Organisation, ordered_on: date, due_on: date,
               designer: Organisation | None = None, external_id: str | None = None) -> Job:
    """A lead-firm manager opens a job; its stages come from the kind's template, planned one
    after another from the order date."""
    _require(actor, workspace, MANAGE_ROLES, _("open jobs"), lead=True)
    templates = stage_templates()
    if kind not in templates:
        raise ActionRefused(_("Unknown kind of job; one of: %(kinds)s.")
                            % {"kinds": ", ".join(templates)}, "kind")
    if not code.strip() or not title.strip():
        raise ActionRefused(_("A job number and a title are required."),
                            "code" if not code.strip() else "title")
    if due_on < ordered_on:
        raise ActionRefused(_("The delivery date is before the order date."), "due_on")
    _check_member_firm(workspace, supplier, "supplier")
    _check_member_firm(workspace, designer, "designer")
    if workspace.jobs.filter(code=code.strip()).exists():
        raise ActionRefused(_("Job number %(code)s exists already in this workspace.")
                            % {"code": code.strip()}, "code")
    with transaction.atomic():
        job = Job.objects.create(workspace=workspace, code=code.strip(), title=title.strip(),
                                 kind=kind, supplier=supplier, designer=designer,
                                 ordered_on=ordered_on, due_on=due_on, original_due_on=due_on,
                                 external_id=external_id or new_external_id("job"))
        start = ordered_on
        firms = {"lead": workspace.lead_firm, "supplier": supplier,
                 "designer": designer or supplier}
        for seq, st in enumerate(templates[kind]["stages"], start=1):
            end = start + timedelta(days=max(st["days"] - 1, 0))
            JobStage.objects.create(
                job=job, external_id=f"{job.external_id}-{st['code']}", seq=seq * 10,
                code=st["code"], name=st["name"], name_en=st["name_en"], phase=st["phase"],
                is_trial=st.get("trial", False), responsible=firms[st["responsible"]],
                planned_start=start, planned_end=end, evidence_kind=st["evidence"],
                evidence_label=st["evidence_label"])
            start = end + timedelta(days=1)
        record_event(actor, "collab.job.created", job, kind=kind, code=job.code)
        _bump(workspace)
        notify(_firm_users(workspace, {supplier.pk} | ({designer.pk} if designer else set())),
               _("New job %(code)s: %(title)s") % {"code": job.code, "title": job.title}, "",
               job.get_absolute_url())
    return job


def _stage_actor(actor: Any, stage: JobStage, what: str) -> Membership:
    ws = stage.job.workspace
    m = _require(actor, ws, WRITE_ROLES, what)
    if m.organisation_id != stage.responsible_id and not (m.is_lead and m.can_manage):
        raise ActionRefused(_("%(firm)s is responsible for this stage.")
                            % {"firm": stage.responsible.name}, code="forbidden")
    return m


def start_stage(actor: Any, stage: JobStage, on: date) -> JobStage:
    _stage_actor(actor, stage, _("start stages"))
    if stage.status != StageStatus.PENDING:
        raise ActionRefused(_("This stage has started already."), code="invalid_transition")
    if on < stage.job.ordered_on:
        raise ActionRefused(_("A stage cannot start before the order date."), "on")
    with transaction.atomic():
        stage.status = StageStatus.ACTIVE
        stage.actual_start = on
        stage.save(update_fields=["status", "actual_start"])
        record_event(actor, "collab.stage.started", stage.job, stage=stage.code, on=str(on))
        _bump(stage.job.workspace)
    return stage


def close_stage(actor: Any, stage: JobStage, on: date, *, evidence_revision: Revision | None = None,
                evidence_record: str = "") -> JobStage:
    """Close a stage with its evidence: a file (a revision in the workspace) or, where the
    template allows, a record (certificate number, report reference)."""
    _stage_actor(actor, stage, _("close stages"))
    if stage.status == StageStatus.DONE:
        raise ActionRefused(_("This stage is closed already."), code="invalid_transition")
    evidence_record = evidence_record.strip()
    if evidence_revision is not None and (
            evidence_revision.document.workspace_id != stage.job.workspace_id):
        raise ActionRefused(_("The evidence file is not in this workspace."), "evidence")
    if stage.evidence_kind == JobStage.Evidence.FILE and evidence_revision is None:
        raise ActionRefused(_("Closing “%(stage)s” needs a file as evidence: %(label)s.")
                            % {"stage": stage.name, "label": stage.evidence_label}, "evidence")
    if evidence_revision is None and not evidence_record:
        raise ActionRefused(_("Closing “%(stage)s” needs evidence: %(label)s.")
                            % {"stage": stage.name, "label": stage.evidence_label}, "evidence")
    start = stage.actual_start or on
    if on < start:
        raise ActionRefused(_("The end date is before the stage started (%(start)s).")
                            % {"start": start}, "on")
    with transaction.atomic():
        stage.status = StageStatus.DONE
        stage.actual_start = start
        stage.actual_end = on
        stage.evidence_revision = evidence_revision
        stage.evidence_record = evidence_record[:300]
        stage.closed_by = actor
        stage.save(update_fields=["status", "actual_start", "actual_end", "evidence_revision",
                                  "evidence_record", "closed_by"])
        record_event(actor, "collab.stage.closed", stage.job, stage=stage.code, on=str(on),
                     evidence=(f"revision:{evidence_revision.pk}" if evidence_revision
                               else evidence_record[:100]))
        ws = stage.job.workspace
        _bump(ws)
        notify(_firm_users(ws, {ws.lead_firm_id, stage.job.supplier_id}),
               _("%(job)s: %(stage)s closed") % {"job": stage.job.code, "stage": stage.name},
               "", stage.job.get_absolute_url())
    return stage


def add_trial(actor: Any, job: Job) -> JobStage:
    """Another trial (T2, T3 …) after the last one, before approval; later stages move on."""
    _require(actor, job.workspace, WRITE_ROLES, _("add trials"))
    trials = list(job.stages.filter(is_trial=True).order_by("seq"))
    if not trials:
        raise ActionRefused(_("This kind of job has no trials."), code="invalid_transition")
    last = trials[-1]
    n = len([t for t in trials if t.code != "t0"]) + 1
    code = f"t{n}"
    days = (last.planned_end - last.planned_start).days + 1
    with transaction.atomic():
        later = list(job.stages.filter(seq__gt=last.seq).order_by("-seq"))
        for st in later:
            st.seq += 1
            st.planned_start += timedelta(days=days)
            st.planned_end += timedelta(days=days)
            st.save(update_fields=["seq", "planned_start", "planned_end"])
        stage = JobStage.objects.create(
            job=job, external_id=f"{job.external_id}-{code}", seq=last.seq + 1, code=code,
            name=f"T{n} 시사출", name_en=f"T{n} trial", phase=last.phase, is_trial=True,
            responsible=last.responsible, planned_start=last.planned_end + timedelta(days=1),
            planned_end=last.planned_end + timedelta(days=days),
            evidence_kind=last.evidence_kind, evidence_label=last.evidence_label)
        record_event(actor, "collab.stage.trial_added", job, stage=code)
        _bump(job.workspace)
    return stage


def record_waiting(actor: Any, job: Job, *, started_on: date, ended_on: date,
                   reason: str) -> WaitingInterval:
    """Days the job waited on the customer, kept apart for the net lead time."""
    _require(actor, job.workspace, WRITE_ROLES, _("record waiting time"))
    if ended_on < started_on:
        raise ActionRefused(_("The interval ends before it starts."), "ended_on")
    if started_on < job.ordered_on:
        raise ActionRefused(_("Waiting cannot start before the order date."), "started_on")
    if not reason.strip():
        raise ActionRefused(_("Say what the job waited for."), "reason")
    with transaction.atomic():
        w = WaitingInterval.objects.create(job=job, external_id=new_external_id("wait"),
                                           started_on=started_on, ended_on=ended_on,
                                           reason=reason.strip()[:200], recorded_by=actor)
        record_event(actor, "collab.waiting", job, days=w.days)
        _bump(job.workspace)
    return w


def record_logistics(actor: Any, job: Job, *, kind: str, on: date, carrier: str = "",
                     tracking: str = "", note: str = "") -> LogisticsEvent:
    """Shipment (by the mould maker), delivery and receipt (by the lead firm). Delivery
    delivers the job."""
    m = _require(actor, job.workspace, WRITE_ROLES, _("record logistics"))
    if kind not in LogisticsEvent.Kind.values:
        raise ActionRefused(_("Unknown logistics event."), "kind")
    if on < job.ordered_on:
        raise ActionRefused(_("The date is before the order date."), "on")
    if kind in ("delivery", "receipt") and not job.logistics.filter(kind="shipment").exists():
        raise ActionRefused(_("Record the shipment first."), "kind",
                            code="invalid_transition")
    if kind == "delivery" and job.status == JobStatus.DELIVERED:
        raise ActionRefused(_("The job is delivered already."), code="invalid_transition")
    with transaction.atomic():
        ev = LogisticsEvent.objects.create(job=job, external_id=new_external_id("lg"),
                                           kind=kind, on=on, organisation=m.organisation,
                                           carrier=carrier[:100], tracking=tracking[:100],
                                           note=note[:300], recorded_by=actor)
        if kind == "delivery":
            job.delivered_on = on
            job.status = JobStatus.DELIVERED
            job.save(update_fields=["delivered_on", "status"])
        record_event(actor, f"collab.logistics.{kind}", job, on=str(on))
        _bump(job.workspace)
        ws = job.workspace
        notify(_firm_users(ws, {ws.lead_firm_id, job.supplier_id}),
               _("%(job)s: %(event)s on %(on)s")
               % {"job": job.code, "event": LogisticsEvent.Kind(kind).label, "on": on}, "",
               job.get_absolute_url())
    return ev


# --- documents -----------------------------------------------------------------------------

def create_document(actor: Any, workspace: Workspace, *, number: str, title: str, kind: str,
                    job: Job | None = None,
                    distribution: Iterable[Organisation] = ()) -> Document:
    _require(actor, workspace, WRITE_ROLES, _("add documents"))
    if kind not in DocumentKind.values:
        raise ActionRefused(_("Unknown kind of document."), "kind")
    if not number.strip() or not title.strip():
        raise ActionRefused(_("A document number and a title are required."),
                            "number" if not number.strip() else "title")
    if job is not None and job.workspace_id != workspace.pk:
        raise ActionRefused(_("The job is not in this workspace."), "job")
    orgs = list(distribution)
    for org in orgs:
        _check_member_firm(workspace, org, "distribution")
    if workspace.documents.filter(number=number.strip()).exists():
        raise ActionRefused(_("Document number %(n)s exists already.") % {"n": number.strip()},
                            "number")
    with transaction.atomic():
        doc = Document.objects.create(workspace=workspace, number=number.strip(),
                                      title=title.strip(), kind=kind, job=job, created_by=actor)
        doc.distribution.set(orgs)
        record_event(actor, "collab.document.created", doc, number=doc.number)
        _bump(workspace)
    return doc


def set_distribution(actor: Any, doc: Document, orgs: Iterable[Organisation]) -> Document:
    _require(actor, doc.workspace, MANAGE_ROLES, _("change distribution lists"))
    orgs = list(orgs)
    for org in orgs:
        _check_member_firm(doc.workspace, org, "distribution")
    with transaction.atomic():
        doc.distribution.set(orgs)
        record_event(actor, "collab.document.distribution", doc,
                     firms=[o.external_id for o in orgs])
    return doc


def _blob(workspace: Workspace, content: bytes, ctype: str,
          written: list[Any] | None = None) -> Blob:
    """The workspace's blob for these bytes; a file this call writes anew is added to
    `written` so that the caller can remove it when its transaction fails."""
    sha = storage.digest(content)
    blob = Blob.objects.filter(workspace=workspace, sha256=sha).first()
    if blob is None:
        blob = Blob(workspace=workspace, sha256=sha, size=len(content), content_type=ctype)
        path = storage.path_of(blob.storage_path)
        if written is not None and not path.exists():
            written.append(path)
        storage.store(blob.storage_path, content)
        blob.save()
    elif storage.read_verified(blob.storage_path, sha)[1] is not None:
        storage.store(blob.storage_path, content)  # a damaged or lost copy is repaired
    return blob


def check_upload(name: str, content: bytes) -> tuple[str, str]:
    """(safe file name, content type) or ActionRefused naming the problem."""
    limit = settings.CLUSTERHUB_MAX_UPLOAD_BYTES
    if not content:
        raise ActionRefused(_("The file is empty."), "file")
    if len(content) > limit:
        raise ActionRefused(_("The file is larger than %(mb)s MB.")
                            % {"mb": f"{limit / (1024 * 1024):g}"}, "file")
    filename = storage.safe_filename(name)
    ctype = storage.sniff(content, filename)
    if ctype is None:
        raise ActionRefused(_("Accepted files: %(types)s; this file's content is none of these.")
                            % {"types": storage.ACCEPTED}, "file")
    if not storage.extension_matches(filename, ctype):
        raise ActionRefused(_("The file is named %(name)s but its content is %(type)s.")
                            % {"name": filename, "type": ctype}, "file")
    return filename, ctype


def upload(actor: Any, doc: Document, *, name: str, content: bytes, note: str = "",
           change: ChangeRequest | None = None) -> Iteration:
    """A file for the document: a new iteration of its working revision, or, when its latest
    revision is released (or there is none), the first iteration of the next revision. Checks
    in the actor's check-out."""
    _require(actor, doc.workspace, WRITE_ROLES, _("upload files"))
    filename, ctype = check_upload(name, content)
    now = timezone.now()
    written: list[Any] = []
    try:
        it = _upload(actor, doc, filename, ctype, content, note, change, now, written)
    except BaseException:
        for path in written:  # nothing half-written: no file without its row
            path.unlink(missing_ok=True)
        raise
    return it


def _upload(actor: Any, doc: Document, filename: str, ctype: str, content: bytes, note: str,
            change: ChangeRequest | None, now: Any, written: list[Any]) -> Iteration:
    with transaction.atomic():
        doc = Document.objects.select_for_update().get(pk=doc.pk)
        holder = doc.lock_holder(now)
        if holder is not None and holder.pk != actor.pk:
            raise ActionRefused(_("%(user)s has checked this document out until %(until)s.")
                                % {"user": holder.username,
                                   "until": f"{timezone.localtime(doc.checkout_expires_at):%Y-%m-%d %H:%M}"},
                                code="invalid_transition")
        blob = _blob(doc.workspace, content, ctype, written)
        latest = doc.revisions.order_by("-index").first()
        if latest is not None and latest.state == RevisionState.WORKING:
            rev = latest
            number = (rev.iterations.aggregate(n=Max("number"))["n"] or 0) + 1
        else:
            index = latest.index + 1 if latest else 0
            rev = Revision.objects.create(document=doc, index=index,
                                          letter=revision_letter(index), change_request=change)
            number = 1
        it = Iteration.objects.create(revision=rev, number=number, blob=blob,
                                      filename=filename, note=note.strip()[:300],
                                      created_by=actor)
        if doc.checked_out_by_id is not None:
            doc.checked_out_by = None
            doc.checkout_expires_at = None
            doc.save(update_fields=["checked_out_by", "checkout_expires_at"])
        record_event(actor, "collab.document.upload", doc, revision=rev.letter,
                     iteration=number, sha256=blob.sha256)
        _bump(doc.workspace)
    return it


def check_out(actor: Any, doc: Document, hours: int = LOCK_HOURS) -> Document:
    """A soft lock: others cannot upload until it is checked in or expires."""
    _require(actor, doc.workspace, WRITE_ROLES, _("check documents out"))
    if not 1 <= hours <= 72:
        raise ActionRefused(_("A check-out lasts 1 to 72 hours."), "hours")
    now = timezone.now()
    with transaction.atomic():
        doc = Document.objects.select_for_update().get(pk=doc.pk)
        holder = doc.lock_holder(now)
        if holder is not None and holder.pk != actor.pk:
            raise ActionRefused(_("%(user)s has this document checked out.")
                                % {"user": holder.username}, code="invalid_transition")
        doc.checked_out_by = actor
        doc.checkout_expires_at = now + timedelta(hours=hours)
        doc.save(update_fields=["checked_out_by", "checkout_expires_at"])
        record_event(actor, "collab.document.checkout", doc, hours=hours)
        _bump(doc.workspace)
    return doc


def cancel_check_out(actor: Any, doc: Document) -> Document:
    """The holder gives the lock back; a manager may break someone else's."""
    m = _require(actor, doc.workspace, WRITE_ROLES, _("check documents in"))
    with transaction.atomic():
        doc = Document.objects.select_for_update().get(pk=doc.pk)
        if doc.checked_out_by_id is None:
            raise ActionRefused(_("This document is not checked out."),
                                code="invalid_transition")
        live = doc.lock_holder() is not None
        if live and doc.checked_out_by_id != actor.pk and not m.can_manage:
            raise ActionRefused(_("Only the holder or a manager can release this lock."),
                                code="forbidden")
        holder = doc.checked_out_by
        doc.checked_out_by = None
        doc.checkout_expires_at = None
        doc.save(update_fields=["checked_out_by", "checkout_expires_at"])
        record_event(actor, "collab.document.lock_released", doc,
                     holder=holder.username if holder else None)
        if holder is not None and holder.pk != actor.pk and live:
            notify([holder], _("Your check-out of %(doc)s was released by %(user)s")
                   % {"doc": doc.number, "user": actor.username}, "", doc.get_absolute_url())
        _bump(doc.workspace)
    return doc


def release(actor: Any, revision: Revision) -> Revision:
    """Release a working revision: the previous one becomes superseded, and every firm on the
    distribution list gets a receipt to acknowledge."""
    doc = revision.document
    _require(actor, doc.workspace, MANAGE_ROLES, _("release revisions"))
    now = timezone.now()
    with transaction.atomic():
        revision = Revision.objects.select_for_update().get(pk=revision.pk)
        if revision.state != RevisionState.WORKING:
            raise ActionRefused(_("Revision %(rev)s is released already.")
                                % {"rev": revision.letter}, code="invalid_transition")
        if not revision.iterations.exists():
            raise ActionRefused(_("Revision %(rev)s has no file yet.") % {"rev": revision.letter},
                                code="invalid_transition")
        if doc.lock_holder(now) is not None:
            raise ActionRefused(_("Check the document in before releasing it."),
                                code="invalid_transition")
        previous = doc.revisions.filter(state=RevisionState.RELEASED).first()
        if previous is not None:
            previous.state = RevisionState.SUPERSEDED
            previous.superseded_at = now
            previous.save(update_fields=["state", "superseded_at"])
        revision.state = RevisionState.RELEASED
        revision.released_at = now
        revision.released_by = actor
        revision.save(update_fields=["state", "released_at", "released_by"])
        recipients = list(doc.distribution.all())
        Receipt.objects.bulk_create([Receipt(revision=revision, organisation=o, sent_at=now,
                                             supersedes=previous) for o in recipients])
        record_event(actor, "collab.revision.released", doc, revision=revision.letter,
                     supersedes=previous.letter if previous else None,
                     recipients=[o.external_id for o in recipients])
        _bump(doc.workspace)
        subject = (_("%(doc)s rev %(rev)s supersedes rev %(old)s: acknowledge receipt")
                   % {"doc": doc.number, "rev": revision.letter, "old": previous.letter}
                   if previous else
                   _("%(doc)s rev %(rev)s released: acknowledge receipt")
                   % {"doc": doc.number, "rev": revision.letter})
        notify(_firm_users(doc.workspace, [o.pk for o in recipients]), subject, doc.title,
               doc.get_absolute_url())
    return revision


def acknowledge(actor: Any, receipt: Receipt) -> Receipt:
    """A person of the recipient firm confirms receipt (and, where it supersedes one, that the
    older revision is no longer to be used)."""
    doc = receipt.revision.document
    m = membership_of(actor, doc.workspace)
    if m is None or m.organisation_id != receipt.organisation_id:
        raise ActionRefused(_("Only a person of %(firm)s can acknowledge this receipt.")
                            % {"firm": receipt.organisation.name}, code="forbidden")
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
        if receipt.acknowledged_at is not None:
            raise ActionRefused(_("Receipt was acknowledged already on %(at)s.")
                                % {"at": f"{timezone.localtime(receipt.acknowledged_at):%Y-%m-%d %H:%M}"},
                                code="invalid_transition")
        receipt.acknowledged_at = max(timezone.now(), receipt.sent_at)
        receipt.acknowledged_by = actor
        receipt.save(update_fields=["acknowledged_at", "acknowledged_by"])
        record_event(actor, "collab.receipt.acknowledged", doc,
                     revision=receipt.revision.letter, firm=m.organisation.external_id)
        _bump(doc.workspace)
    return receipt


def _transfer_error(workspace: Workspace, kind: str, it: Iteration, actor: Any,
                    org: Organisation, detail: str) -> None:
    TransferError.objects.create(workspace=workspace, kind=kind, iteration=it, user=actor,
                                 organisation=org, detail=detail[:300])


def download(actor: Any, it: Iteration, via: str = "web") -> tuple[bytes, DownloadLog]:
    """The file of an iteration, verified against its hash and logged. A PDF comes stamped with
    the recipient and the time. A missing or altered file is refused and recorded as a transfer
    error; a superseded revision is served but recorded as used."""
    rev = it.revision
    doc = rev.document
    ws = doc.workspace
    m = membership_of(actor, ws)
    if m is None:
        raise ActionRefused(_("Not a member of this workspace."), code="forbidden")
    if m.is_guest and not rev.receipts.filter(organisation_id=m.organisation_id).exists():
        raise ActionRefused(_("Guests download only what was sent to their firm."),
                            code="forbidden")
    blob = it.blob
    content, problem = storage.read_verified(blob.storage_path, blob.sha256)
    if problem is not None:
        with transaction.atomic():
            _transfer_error(ws, problem, it, actor, m.organisation,
                            f"{doc.number} rev {rev.letter}.{it.number} {blob.sha256[:12]}")
            record_event(actor, "collab.download.refused", doc, reason=problem)
        raise ActionRefused(
            _("The stored file of %(doc)s rev %(rev)s.%(n)s is missing or damaged; the download "
              "was refused and the error recorded.")
            % {"doc": doc.number, "rev": rev.letter, "n": it.number}, code="transfer_error")
    assert content is not None
    now = timezone.now()
    stamped = False
    if blob.content_type == "application/pdf":
        line = (f"{m.organisation.name} · {actor.get_full_name() or actor.username} · "
                f"{timezone.localtime(now):%Y-%m-%d %H:%M} · {doc.number} rev {rev.letter}.{it.number}"
                f" · 관리본 아님 / uncontrolled copy")
        content = storage.stamp_pdf(content, line)
        stamped = True
    superseded = rev.state == RevisionState.SUPERSEDED
    with transaction.atomic():
        log = DownloadLog.objects.create(iteration=it, user=actor, organisation=m.organisation,
                                         at=now, via=via[:8], stamped=stamped,
                                         superseded=superseded)
        if superseded:
            _transfer_error(ws, TransferError.Kind.SUPERSEDED_USED, it, actor, m.organisation,
                            f"{doc.number} rev {rev.letter} downloaded after it was superseded")
        record_event(actor, "collab.download", doc, revision=rev.letter, iteration=it.number)
    return content, log


# --- engineering changes -------------------------------------------------------------------

def _current_phase(job: Job) -> str:
    steel = job.stages.filter(phase=Phase.AFTER_STEEL).exclude(status=StageStatus.PENDING)
    return Phase.AFTER_STEEL if steel.exists() else Phase.BEFORE_STEEL


def raise_change(actor: Any, workspace: Workspace, *, title: str, reason: str, origin: str,
                 documents: Iterable[Document] = (), jobs: Iterable[Job] = (),
                 cost_krw: Decimal | int = 0, days: int = 0, steel_safe: bool = True,
                 phase: str | None = None,
                 approvers: Iterable[Organisation] = ()) -> ChangeRequest:
    """Any writing member (a supplier too) raises a change. Required approvers: the lead firm,
    the mould makers of the affected jobs and any firm named."""
    m = _require(actor, workspace, WRITE_ROLES, _("raise changes"))
    docs, job_list = list(documents), list(jobs)
    if not title.strip():
        raise ActionRefused(_("A title is required."), "title")
    if not reason.strip():
        raise ActionRefused(_("Give the reason for the change."), "reason")
    if origin not in ChangeOrigin.values:
        raise ActionRefused(_("Unknown origin."), "origin")
    if not docs and not job_list:
        raise ActionRefused(_("Name the affected documents or jobs."), "documents")
    if any(d.workspace_id != workspace.pk for d in docs):
        raise ActionRefused(_("An affected document is not in this workspace."), "documents")
    if any(j.workspace_id != workspace.pk for j in job_list):
        raise ActionRefused(_("An affected job is not in this workspace."), "jobs")
    if phase is not None and phase not in Phase.values:
        raise ActionRefused(_("Unknown phase."), "phase")
    if abs(int(days)) > 365:
        raise ActionRefused(_("The schedule impact is given in days (at most a year)."), "days")
    approver_list = list(approvers)
    for org in approver_list:
        _check_member_firm(workspace, org, "approvers")
    if phase is None:
        phase = (Phase.AFTER_STEEL if any(_current_phase(j) == Phase.AFTER_STEEL
                                          for j in job_list) else Phase.BEFORE_STEEL)
    required = {workspace.lead_firm_id: workspace.lead_firm}
    for j in job_list:
        required.setdefault(j.supplier_id, j.supplier)
    for org in approver_list:
        required.setdefault(org.pk, org)
    with transaction.atomic():
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        number = (workspace.change_requests.aggregate(n=Max("number"))["n"] or 0) + 1
        cr = ChangeRequest.objects.create(
            workspace=workspace, number=number, title=title.strip()[:200],
            reason=reason.strip(), origin=origin, raised_by=actor,
            raised_by_firm=m.organisation, cost_krw=Decimal(cost_krw), days=int(days),
            steel_safe=steel_safe, phase=phase)
        cr.documents.set(docs)
        cr.jobs.set(job_list)
        Approval.objects.bulk_create([Approval(change=cr, organisation=o, required=True)
                                      for o in required.values()])
        record_event(actor, "collab.change.raised", cr, number=number, origin=origin)
        _bump(workspace)
        notify([u for u in _firm_users(workspace, required) if u.pk != actor.pk
                and Membership.objects.filter(workspace=workspace, user=u,
                                              role__in=MANAGE_ROLES).exists()],
               _("ECR-%(n)s needs your approval: %(title)s") % {"n": number, "title": cr.title},
               cr.reason[:300], cr.get_absolute_url())
    return cr


def decide(actor: Any, cr: ChangeRequest, *, approve: bool, comment: str = "") -> Approval:
    """A manager of an approving firm approves or rejects. One required rejection rejects the
    change; when every required approval is in, it is approved."""
    m = _require(actor, cr.workspace, MANAGE_ROLES, _("decide on changes"))
    with transaction.atomic():
        cr = ChangeRequest.objects.select_for_update().get(pk=cr.pk)
        if cr.status != ChangeStatus.OPEN:
            raise ActionRefused(_("ECR-%(n)s is %(status)s; decisions are closed.")
                                % {"n": cr.number, "status": ChangeStatus(cr.status).label},
                                code="invalid_transition")
        approval = cr.approvals.filter(organisation_id=m.organisation_id).first()
        if approval is None:
            raise ActionRefused(_("%(firm)s is not an approver of this change.")
                                % {"firm": m.organisation.name}, code="forbidden")
        if approval.decision != Approval.Decision.PENDING:
            raise ActionRefused(_("%(firm)s has decided already.")
                                % {"firm": m.organisation.name}, code="invalid_transition")
        if not approve and not comment.strip():
            raise ActionRefused(_("Say why the change is rejected."), "comment")
        now = timezone.now()
        approval.decision = Approval.Decision.APPROVED if approve else Approval.Decision.REJECTED
        approval.decided_by = actor
        approval.decided_at = now
        approval.comment = comment.strip()[:300]
        approval.save(update_fields=["decision", "decided_by", "decided_at", "comment"])
        required = list(cr.approvals.filter(required=True).values_list("decision", flat=True))
        if not approve and approval.required:
            cr.status = ChangeStatus.REJECTED
        elif all(d == Approval.Decision.APPROVED for d in required):
            cr.status = ChangeStatus.APPROVED
        if cr.status != ChangeStatus.OPEN:
            cr.decided_at = now
            cr.save(update_fields=["status", "decided_at"])
        record_event(actor, "collab.change.decided", cr, firm=m.organisation.external_id,
                     decision=approval.decision, status=cr.status)
        _bump(cr.workspace)
        if cr.raised_by is not None:
            notify([cr.raised_by], _("ECR-%(n)s: %(firm)s %(decision)s")
                   % {"n": cr.number, "firm": m.organisation.name,
                      "decision": Approval.Decision(approval.decision).label},
                   approval.comment, cr.get_absolute_url())
    return approval


def apply_change(actor: Any, cr: ChangeRequest) -> ChangeRequest:
    """A lead-firm manager applies an approved change: each affected document gets its next
    revision (working, starting from the current file), and the affected jobs' open stages and
    agreed delivery date move by the change's days. Refused without every required approval."""
    _require(actor, cr.workspace, MANAGE_ROLES, _("apply changes"), lead=True)
    with transaction.atomic():
        cr = ChangeRequest.objects.select_for_update().get(pk=cr.pk)
        missing = [a.organisation.name for a in cr.approvals.filter(required=True)
                   .exclude(decision=Approval.Decision.APPROVED).select_related("organisation")]
        if cr.status != ChangeStatus.APPROVED or missing:
            raise ActionRefused(
                _("ECR-%(n)s cannot be applied: it is %(status)s%(missing)s.")
                % {"n": cr.number, "status": ChangeStatus(cr.status).label,
                   "missing": (_("; waiting for %(firms)s") % {"firms": ", ".join(missing)})
                   if missing else ""}, code="invalid_transition")
        now = timezone.now()
        for doc in cr.documents.all():
            doc = Document.objects.select_for_update().get(pk=doc.pk)
            latest = doc.revisions.order_by("-index").first()
            if latest is not None and latest.state == RevisionState.WORKING:
                raise ActionRefused(
                    _("%(doc)s has a working revision %(rev)s; release or finish it first.")
                    % {"doc": doc.number, "rev": latest.letter}, code="invalid_transition")
            index = latest.index + 1 if latest else 0
            rev = Revision.objects.create(document=doc, index=index,
                                          letter=revision_letter(index), change_request=cr)
            last_it = latest.latest_iteration() if latest else None
            if last_it is not None:
                Iteration.objects.create(revision=rev, number=1, blob=last_it.blob,
                                         filename=last_it.filename,
                                         note=f"ECR-{cr.number}: {cr.title}"[:300],
                                         created_by=actor)
        if cr.days:
            shift = timedelta(days=cr.days)
            for job in cr.jobs.all():
                for st in job.stages.exclude(status=StageStatus.DONE):
                    st.planned_start += shift
                    st.planned_end += shift
                    st.save(update_fields=["planned_start", "planned_end"])
                if job.status == JobStatus.OPEN:
                    job.due_on = max(job.due_on + shift, job.ordered_on)
                    job.save(update_fields=["due_on"])
        cr.status = ChangeStatus.APPLIED
        cr.applied_at = now
        cr.applied_by = actor
        cr.save(update_fields=["status", "applied_at", "applied_by"])
        record_event(actor, "collab.change.applied", cr, days=cr.days)
        _bump(cr.workspace)
        notify(_firm_users(cr.workspace, cr.approvals.values_list("organisation_id", flat=True)),
               _("ECR-%(n)s applied: %(title)s") % {"n": cr.number, "title": cr.title}, "",
               cr.get_absolute_url())
    return cr
