"""The one-stop support desk: requests, their workflow, work logs, outcomes, solved cases."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusterhub.core.models import Expert, Organisation, Region, TechField


class SupportType(models.TextChoices):
    GUIDANCE = "guidance", _("Technology guidance")
    JOINT_RND = "joint_rnd", _("Joint R&D")
    CONTRACT_RESEARCH = "contract_research", _("Contract research")
    TECH_TRANSFER = "tech_transfer", _("Technology transfer")
    TESTING = "testing", _("Test, evaluation and certification")
    PROTOTYPE = "prototype", _("Prototype production")
    EQUIPMENT = "equipment", _("Equipment use")
    TRAINING = "training", _("Training")
    CONSULTING = "consulting", _("Commercialisation consulting")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    TRIAGED = "triaged", _("Triaged")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    OUTCOME_RECORDED = "outcome_recorded", _("Outcome recorded")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = [
    Status.SUBMITTED, Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED,
    Status.OUTCOME_RECORDED,
]


class Urgency(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class SupportRequestQuerySet(models.QuerySet["SupportRequest"]):
    def for_user(self, user: Any) -> SupportRequestQuerySet:
        """The requests a user may see: own firm's, offered/assigned, routed to their centre."""
        from clusterhub.core.models import role_of

        role = role_of(user)
        if role == "admin":
            return self
        if role == "sme":
            return self.filter(firm_id=user.profile.organisation_id)
        if role == "expert":
            return self.filter(
                assignments__expert__user=user,
                assignments__state__in=["offered", "accepted"],
            ).distinct()
        if role == "coordinator":
            return self.filter(routed_to_id=user.profile.organisation_id)
        return self.none()

    def open(self) -> SupportRequestQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: Any = None) -> SupportRequestQuerySet:
        now = now or timezone.now()
        return self.filter(
            Q(first_contact_at__isnull=True, contact_due_at__lt=now)
            | Q(plan_at__isnull=True, plan_due_at__lt=now)
        ).filter(status__in=OPEN_STATUSES)

    def with_overdue_flags(self, now: Any = None) -> SupportRequestQuerySet:
        now = now or timezone.now()
        return self.annotate(
            contact_overdue=models.ExpressionWrapper(
                Q(first_contact_at__isnull=True, contact_due_at__lt=now)
                & Q(status__in=OPEN_STATUSES),
                output_field=models.BooleanField(),
            ),
            plan_overdue=models.ExpressionWrapper(
                Q(plan_at__isnull=True, plan_due_at__lt=now) & Q(status__in=OPEN_STATUSES),
                output_field=models.BooleanField(),
            ),
        )


class JointProjectQuerySet(models.QuerySet["JointProject"]):
    def for_user(self, user: Any) -> JointProjectQuerySet:
        """The joint projects a user may see: their desk's (coordinators), those with a request
        of their firm (SME members; they see only their own firm's requests in it), all
        (admins)."""
        from clusterhub.core.models import role_of

        role = role_of(user)
        if role == "admin":
            return self
        if role == "coordinator":
            return self.filter(organisation_id=user.profile.organisation_id)
        if role == "sme":
            return self.filter(requests__firm_id=user.profile.organisation_id).distinct()
        return self.none()


class JointProject(models.Model):
    """Open requests of several firms about one shared problem, taken on together (the seed's
    consortium R&D on shared problems, Table 5-1)."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="joint_projects",
        verbose_name=_("coordinating organisation"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = JointProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("joint project")
        verbose_name_plural = _("joint projects")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("joint_project", args=[self.pk])


class SupportRequest(models.Model):
    """A need filed once by an SME and carried by the hub to a measured result."""

    firm = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="requests")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_requests"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    support_type = models.CharField(
        _("support type"), max_length=20, choices=SupportType.choices, db_index=True
    )
    fields = models.ManyToManyField(TechField, blank=True, related_name="requests",
                                    verbose_name=_("technology fields"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="requests",
                               verbose_name=_("region"))
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices,
                               default=Urgency.NORMAL)
    consent_publish = models.BooleanField(
        _("consent to publish an anonymised solution"), default=False
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED,
        db_index=True,
    )
    routed_to = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT,
        related_name="routed_requests", verbose_name=_("routed to"),
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    contact_due_at = models.DateTimeField(null=True, blank=True)
    plan_due_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    plan_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    solution_summary = models.TextField(_("solution summary"), blank=True)
    end_reason = models.TextField(_("reason"), blank=True)
    # At most one joint project per request (a database fact, not a rule in code).
    joint_project = models.ForeignKey(
        JointProject, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests",
        verbose_name=_("joint project"),
    )

    objects = SupportRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        indexes = [
            models.Index(fields=["routed_to", "status", "created_at"]),
            # The desk queue in its own order: a page is read off the index, not sorted from all
            # of the desk's open requests (docs/benchmarks.md).
            models.Index(fields=["routed_to", "created_at", "id"]),
            models.Index(fields=["firm", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "outcome_recorded", "closed"])
                | ~Q(solution_summary=""),
                name="resolved_request_has_solution",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["withdrawn", "rejected"]) | ~Q(end_reason=""),
                name="ended_request_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("request", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Assignment(models.Model):
    """An offer of a request to an expert, and the expert's answer."""

    class State(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        RELEASED = "released", _("Released")

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE,
                                related_name="assignments")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="assignments")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OFFERED,
                             db_index=True)
    offered_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    plan = models.TextField(_("solution plan"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "expert"], name="one_assignment_per_expert"),
            models.CheckConstraint(
                condition=~Q(state="declined") | ~Q(reason=""), name="decline_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} → #{self.request_id} ({self.state})"


ACTION_LABELS = {
    "submit": _("Submitted"),
    "triage": _("Triaged"),
    "assign": _("Assigned to experts"),
    "accept": _("Accepted by the expert"),
    "decline": _("Declined by the expert"),
    "log_work": _("Work logged"),
    "resolve": _("Resolved"),
    "record_outcome": _("Outcome recorded"),
    "close": _("Closed"),
    "withdraw": _("Withdrawn"),
    "reject": _("Rejected"),
    "attach": _("File attached"),
    "joint_project": _("Grouped into a joint project"),
    # Work done elsewhere in the hub and linked to the request (support.actions.record_linked_work).
    "simulation": _("Casting simulation attached"),
    "booking": _("Equipment booking linked"),
}


class RequestEvent(models.Model):
    """One row per workflow transition: the request's timeline."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"#{self.request_id} {self.action}"

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def status_label(self) -> str:
        return str(Status(self.to_status).label) if self.to_status in Status.values else ""


class WorkLog(models.Model):
    """Hours spent on a request (visits, remote work, lab work); summed to man-months."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Site visit")
        REMOTE = "remote", _("Remote / desk work")
        LAB = "lab", _("Lab or test work")
        MEETING = "meeting", _("Meeting")

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="work_logs")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="work_logs")
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.VISIT)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=24),
                                   name="worklog_hours_in_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.hours}h"


# Man-month convention for converting logged hours (documented in docs/architecture.md).
HOURS_PER_MAN_MONTH = 160


class Outcome(models.Model):
    """SME-side measures of what the support achieved."""

    request = models.OneToOneField(SupportRequest, on_delete=models.CASCADE,
                                   related_name="outcome")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    cost_saved_mkrw = models.DecimalField(_("cost saved (M KRW / year)"), max_digits=12,
                                          decimal_places=1, null=True, blank=True)
    lead_time_before_days = models.DecimalField(_("lead time before (days)"), max_digits=8,
                                                decimal_places=1, null=True, blank=True)
    lead_time_after_days = models.DecimalField(_("lead time after (days)"), max_digits=8,
                                               decimal_places=1, null=True, blank=True)
    defect_rate_before_pct = models.DecimalField(_("defect rate before (%)"), max_digits=5,
                                                 decimal_places=2, null=True, blank=True)
    defect_rate_after_pct = models.DecimalField(_("defect rate after (%)"), max_digits=5,
                                                decimal_places=2, null=True, blank=True)
    sales_increase_mkrw = models.DecimalField(_("sales increase (M KRW / year)"), max_digits=12,
                                              decimal_places=1, null=True, blank=True)
    new_product = models.BooleanField(_("new product launched"), default=False)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1-5)"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(satisfaction__gte=1) & Q(satisfaction__lte=5),
                                   name="satisfaction_1_to_5"),
            models.CheckConstraint(
                condition=(Q(defect_rate_before_pct__isnull=True)
                           | Q(defect_rate_before_pct__gte=0, defect_rate_before_pct__lte=100))
                & (Q(defect_rate_after_pct__isnull=True)
                   | Q(defect_rate_after_pct__gte=0, defect_rate_after_pct__lte=100)),
                name="defect_rate_is_percentage",
            ),
        ]

    def __str__(self) -> str:
        return f"outcome of #{self.request_id}"


class FollowUp(models.Model):
    """An outcome check-in some months after closing."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="follow_ups")
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    task_id = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(fields=["request", "months"], name="one_follow_up_per_month")
        ]

    def __str__(self) -> str:
        return f"#{self.request_id} +{self.months}m"


class Attachment(models.Model):
    """A file attached to a request: stored outside the web root, served after an access check."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE,
                                related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_path = models.CharField(max_length=300)

    def __str__(self) -> str:
        return self.original_name


class SolvedCaseQuerySet(models.QuerySet["SolvedCase"]):
    def published(self) -> SolvedCaseQuerySet:
        return self.filter(published=True)

    def search(self, text: str) -> SolvedCaseQuerySet:
        qs = self
        for word in text.split():
            qs = qs.filter(Q(title__icontains=word) | Q(problem__icontains=word)
                           | Q(solution__icontains=word))
        return qs


class SolvedCase(models.Model):
    """A knowledge-base case: a closed request published with consent, or imported history."""

    external_id = models.CharField(max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem"))
    solution = models.TextField(_("solution"))
    outcome = models.TextField(_("outcome"), blank=True)
    support_type = models.CharField(_("support type"), max_length=20, choices=SupportType.choices)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="solved_cases")
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    experts = models.ManyToManyField(Expert, blank=True, related_name="solved_cases")
    # The firm stays in the back office; public pages never show it.
    firm = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="solved_cases")
    fields = models.ManyToManyField(TechField, blank=True, related_name="solved_cases")
    source_request = models.OneToOneField(SupportRequest, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="solved_case")
    published = models.BooleanField(default=True)

    objects = SolvedCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "external_id"]
        verbose_name = _("solved case")
        verbose_name_plural = _("solved cases")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("case", args=[self.pk])
