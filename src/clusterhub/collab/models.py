"""Collaboration workspaces of a lead firm and its suppliers (seed l.3190-3244): members,
invitations, mould jobs with stages, versioned documents with content-addressed files,
distribution receipts, download logs, transfer errors, engineering changes and logistics."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clusterhub.core.models import Organisation


def new_external_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class MemberRole(models.TextChoices):
    OWNER = "owner", pgettext_lazy("collab", "Owner")
    MANAGER = "manager", pgettext_lazy("collab", "Manager")
    MEMBER = "member", pgettext_lazy("collab", "Member")
    READ_ONLY = "read_only", pgettext_lazy("collab", "Read-only")
    GUEST = "guest", pgettext_lazy("collab", "Guest")


# What each role may do (docs/collab.md, "Roles").
MANAGE_ROLES = (MemberRole.OWNER, MemberRole.MANAGER)
WRITE_ROLES = (MemberRole.OWNER, MemberRole.MANAGER, MemberRole.MEMBER)


class Phase(models.TextChoices):
    BEFORE_STEEL = "before_steel", _("Before steel cut")
    AFTER_STEEL = "after_steel", _("After steel cut")


class WorkspaceQuerySet(models.QuerySet["Workspace"]):
    def for_user(self, user: Any) -> WorkspaceQuerySet:
        """Workspaces the user is a member of; nobody else sees them, hub staff included."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Workspace(models.Model):
    """A lead firm's collaboration space with its supplier firms (one e-Manufacturing centre)."""

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    lead_firm = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                  related_name="led_workspaces", verbose_name=_("lead firm"))
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped by every action that changes what the job board shows (the board's change token).
    version = models.PositiveIntegerField(default=0)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("workspace")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("collab:workspace", args=[self.pk])


class Membership(models.Model):
    """A user acting for a firm in a workspace, with a role."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="collab_memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="collab_memberships",
                                     verbose_name=_("firm"))
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workspace", "organisation__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="collab_one_membership"),
            models.CheckConstraint(condition=Q(role__in=MemberRole.values),
                                   name="collab_membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.workspace} ({self.role})"

    @property
    def can_manage(self) -> bool:
        return self.role in MANAGE_ROLES

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def is_guest(self) -> bool:
        return self.role == MemberRole.GUEST

    @property
    def is_lead(self) -> bool:
        return self.organisation_id == self.workspace.lead_firm_id


class Invitation(models.Model):
    """An e-mailed invitation; only the SHA-256 of its token is stored. It expires."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="invitations")
    email = models.EmailField(_("e-mail"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("firm"))
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices)
    token_digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")),
                                   name="collab_invitation_expires_after_creation"),
            models.CheckConstraint(condition=~Q(role="owner"),
                                   name="collab_invitation_not_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace}"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class JobStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("collab", "Open")
    DELIVERED = "delivered", pgettext_lazy("collab", "Delivered")
    CANCELLED = "cancelled", pgettext_lazy("collab", "Cancelled")


class Job(models.Model):
    """One order (e.g. one mould) run through the stages of its template."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="jobs")
    external_id = models.CharField(max_length=64, unique=True)
    code = models.CharField(_("job number"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind of job"), max_length=32)
    supplier = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("mould maker"))
    designer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                 null=True, blank=True, verbose_name=_("design firm"))
    ordered_on = models.DateField(_("order date"))
    due_on = models.DateField(_("agreed delivery date"))
    original_due_on = models.DateField(_("first agreed delivery date"))
    delivered_on = models.DateField(_("delivered"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices,
                              default=JobStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-ordered_on", "code"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "code"], name="collab_job_code_unique"),
            models.CheckConstraint(condition=Q(due_on__gte=models.F("ordered_on")),
                                   name="collab_job_due_after_order"),
            models.CheckConstraint(
                condition=Q(delivered_on__isnull=True) | Q(delivered_on__gte=models.F("ordered_on")),
                name="collab_job_delivered_after_order"),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_on__isnull=False),
                name="collab_job_delivered_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("collab:job", args=[self.workspace_id, self.pk])


class StageStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("collab", "Pending")
    ACTIVE = "active", pgettext_lazy("collab", "In progress")
    DONE = "done", pgettext_lazy("collab", "Done")


class JobStage(models.Model):
    """A stage of a job: planned and actual dates, a responsible firm, evidence to close it."""

    class Evidence(models.TextChoices):
        FILE = "file", _("A file")
        RECORD = "record", _("A file or a record")

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="stages")
    external_id = models.CharField(max_length=80, unique=True)
    seq = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=32)
    name = models.CharField(_("stage"), max_length=80)
    name_en = models.CharField(max_length=80, blank=True)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    is_trial = models.BooleanField(_("trial"), default=False)
    responsible = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("responsible firm"))
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=StageStatus.choices,
                              default=StageStatus.PENDING)
    evidence_kind = models.CharField(max_length=8, choices=Evidence.choices)
    evidence_label = models.CharField(_("evidence required"), max_length=120)
    evidence_revision = models.ForeignKey("Revision", on_delete=models.PROTECT, null=True,
                                          blank=True, related_name="evidence_for",
                                          verbose_name=_("evidence file"))
    evidence_record = models.CharField(_("evidence record"), max_length=300, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["job", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["job", "seq"], name="collab_stage_seq_unique"),
            models.UniqueConstraint(fields=["job", "code"], name="collab_stage_code_unique"),
            models.CheckConstraint(condition=Q(planned_end__gte=models.F("planned_start")),
                                   name="collab_stage_planned_order"),
            models.CheckConstraint(
                condition=~Q(status="done") | (Q(actual_end__isnull=False)
                                               & (Q(evidence_revision__isnull=False)
                                                  | ~Q(evidence_record=""))),
                name="collab_stage_done_has_evidence"),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True) | Q(actual_start__isnull=False)
                & Q(actual_end__gte=models.F("actual_start")),
                name="collab_stage_actual_order"),
        ]

    def __str__(self) -> str:
        return f"{self.job.code} · {self.name}"


class WaitingInterval(models.Model):
    """Days the job waited on the customer (data, approvals), kept apart for net lead time."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="waits")
    external_id = models.CharField(max_length=80, unique=True)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["job", "started_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ended_on__gte=models.F("started_on")),
                                   name="collab_wait_order"),
        ]

    def __str__(self) -> str:
        return f"{self.job.code}: {self.started_on}–{self.ended_on}"

    @property
    def days(self) -> int:
        return (self.ended_on - self.started_on).days


class LogisticsEvent(models.Model):
    class Kind(models.TextChoices):
        SHIPMENT = "shipment", _("Shipment")
        DELIVERY = "delivery", _("Delivery")
        RECEIPT = "receipt", _("Receipt")

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="logistics")
    external_id = models.CharField(max_length=80, unique=True)
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    on = models.DateField(_("date"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("firm"))
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking = models.CharField(_("tracking number"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["job", "on", "pk"]

    def __str__(self) -> str:
        return f"{self.job.code} {self.kind} {self.on}"


class Blob(models.Model):
    """File content, stored once per workspace under its SHA-256: collab/<ws>/<sha[:2]>/<sha>."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="blobs")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "sha256"], name="collab_blob_unique"),
        ]

    def __str__(self) -> str:
        return self.sha256[:12]

    @property
    def storage_path(self) -> str:
        return f"collab/{self.workspace_id}/{self.sha256[:2]}/{self.sha256}"


class DocumentKind(models.TextChoices):
    DRAWING = "drawing", _("2D drawing")
    CAD = "cad", _("CAD model")
    SPEC = "spec", _("Specification")
    REPORT = "report", _("Report / certificate")
    PHOTO = "photo", _("Photo")


class Document(models.Model):
    """A drawing, model or report; its content lives in revisions and their iterations."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="documents")
    number = models.CharField(_("document number"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="documents", verbose_name=_("job"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    checked_out_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                       null=True, blank=True, related_name="+")
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    distribution = models.ManyToManyField(Organisation, blank=True, related_name="+",
                                          verbose_name=_("distribution list"))

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"],
                                    name="collab_document_number_unique"),
            models.CheckConstraint(
                condition=Q(checked_out_by__isnull=True) | Q(checkout_expires_at__isnull=False),
                name="collab_checkout_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("collab:document", args=[self.workspace_id, self.pk])

    def lock_holder(self, now: Any = None) -> Any:
        """The user holding a live check-out, or None (expired locks hold nothing)."""
        now = now or timezone.now()
        if self.checked_out_by_id and self.checkout_expires_at and self.checkout_expires_at > now:
            return self.checked_out_by
        return None


class RevisionState(models.TextChoices):
    WORKING = "working", pgettext_lazy("collab", "Work in progress")
    RELEASED = "released", pgettext_lazy("collab", "Released")
    SUPERSEDED = "superseded", pgettext_lazy("collab", "Superseded")


class Revision(models.Model):
    """A lettered revision (A, B, C … without I, O, Q, S, X, Z) of a document."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="revisions")
    index = models.PositiveSmallIntegerField()
    letter = models.CharField(_("revision"), max_length=4)
    state = models.CharField(_("state"), max_length=16, choices=RevisionState.choices,
                             default=RevisionState.WORKING)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    superseded_at = models.DateTimeField(null=True, blank=True)
    change_request = models.ForeignKey("ChangeRequest", on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="revisions")

    class Meta:
        ordering = ["document", "index"]
        constraints = [
            models.UniqueConstraint(fields=["document", "letter"],
                                    name="collab_revision_letter_unique"),
            models.UniqueConstraint(fields=["document", "index"],
                                    name="collab_revision_index_unique"),
            models.UniqueConstraint(fields=["document"], condition=Q(state="released"),
                                    name="collab_one_released_revision"),
            models.CheckConstraint(
                condition=Q(state="working") | Q(released_at__isnull=False),
                name="collab_released_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.document.number} rev {self.letter}"

    def latest_iteration(self) -> Iteration | None:
        return self.iterations.order_by("-number").first()


class Iteration(models.Model):
    """One check-in within a revision (A.1, A.2 …): a file by its content hash."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="iterations")
    number = models.PositiveSmallIntegerField()
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="iterations")
    filename = models.CharField(_("file name"), max_length=200)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["revision", "number"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "number"],
                                    name="collab_iteration_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="collab_iteration_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.revision}.{self.number}"


class Receipt(models.Model):
    """A released revision sent to a firm on the distribution list, and its acknowledgement
    (which, when the revision supersedes an earlier one, acknowledges that too)."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="receipts")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("recipient"))
    sent_at = models.DateTimeField()
    supersedes = models.ForeignKey(Revision, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["revision", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "organisation"],
                                    name="collab_one_receipt_per_recipient"),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True)
                | Q(acknowledged_at__gte=models.F("sent_at")),
                name="collab_ack_after_sending"),
        ]

    def __str__(self) -> str:
        return f"{self.revision} → {self.organisation}"

    @property
    def hours(self) -> float | None:
        if self.acknowledged_at is None:
            return None
        return (self.acknowledged_at - self.sent_at).total_seconds() / 3600


class DownloadLog(models.Model):
    """Every download: who, for which firm, when, which revision and iteration."""

    iteration = models.ForeignKey(Iteration, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    via = models.CharField(max_length=8, default="web")
    stamped = models.BooleanField(default=False)
    superseded = models.BooleanField(_("superseded revision"), default=False)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.iteration} ↓ {self.user}"


class TransferError(models.Model):
    """A data-transfer error seen by the hub (counted by the KPIs)."""

    class Kind(models.TextChoices):
        HASH_MISMATCH = "hash_mismatch", _("Content does not match its hash")
        MISSING_FILE = "missing_file", _("File missing from storage")
        SUPERSEDED_USED = "superseded_used", _("Superseded revision used")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="transfer_errors")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    iteration = models.ForeignKey(Iteration, on_delete=models.SET_NULL, null=True,
                                  related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True,
                                     related_name="+")
    at = models.DateTimeField(default=timezone.now)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"


class ChangeStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("collab", "Awaiting approval")
    APPROVED = "approved", pgettext_lazy("collab", "Approved")
    REJECTED = "rejected", pgettext_lazy("collab", "Rejected")
    APPLIED = "applied", pgettext_lazy("collab", "Applied")


class ChangeOrigin(models.TextChoices):
    CUSTOMER = "customer", _("Customer request")
    SUPPLIER = "supplier", _("Supplier proposal")
    ERROR = "error", _("Error correction")


class ChangeRequest(models.Model):
    """An engineering change: reason, affected documents and jobs, impact, approvals."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="change_requests")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    reason = models.TextField(_("reason"))
    origin = models.CharField(_("origin"), max_length=16, choices=ChangeOrigin.choices)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, related_name="+")
    raised_by_firm = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    documents = models.ManyToManyField(Document, blank=True, related_name="change_requests",
                                       verbose_name=_("affected documents"))
    jobs = models.ManyToManyField(Job, blank=True, related_name="change_requests",
                                  verbose_name=_("affected jobs"))
    cost_krw = models.DecimalField(_("cost impact (KRW)"), max_digits=14, decimal_places=0,
                                   default=0)
    days = models.IntegerField(_("schedule impact (days)"), default=0)
    steel_safe = models.BooleanField(_("steel-safe"), default=True,
                                     help_text=_("The change removes steel only (no welding)."))
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    status = models.CharField(_("status"), max_length=16, choices=ChangeStatus.choices,
                              default=ChangeStatus.OPEN)
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="collab_change_number"),
            models.CheckConstraint(condition=~Q(status="applied") | Q(applied_at__isnull=False),
                                   name="collab_change_applied_has_time"),
        ]

    def __str__(self) -> str:
        return f"ECR-{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("collab:change", args=[self.workspace_id, self.pk])


class Approval(models.Model):
    """One approving firm's decision on a change request; `required` ones gate applying it."""

    class Decision(models.TextChoices):
        PENDING = "pending", pgettext_lazy("collab", "Pending")
        APPROVED = "approved", pgettext_lazy("collab", "Approved")
        REJECTED = "rejected", pgettext_lazy("collab", "Rejected")

    change = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="approvals")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("approver"))
    required = models.BooleanField(default=True)
    decision = models.CharField(max_length=16, choices=Decision.choices,
                                default=Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=300, blank=True)

    class Meta:
        ordering = ["change", "-required", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["change", "organisation"],
                                    name="collab_one_approval_per_firm"),
            models.CheckConstraint(
                condition=Q(decision="pending") | Q(decided_at__isnull=False),
                name="collab_decision_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.change} · {self.organisation}: {self.decision}"
