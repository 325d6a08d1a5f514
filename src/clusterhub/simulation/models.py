"""Simulation runs of the digital design service: one row per casting analysis a foundry asks for.

Files live under MEDIA_ROOT (outside the web root; served by views after the access check):
uploaded STL parts content-addressed in `simulation/stl/`, each run's result arrays in
`simulation/runs/<id>/fields.npz`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusterhub.core.models import Organisation, Region


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


class Geometry(models.TextChoices):
    STL = "stl", _("Uploaded STL")
    BOX = "box", _("Box")
    CYLINDER = "cylinder", _("Cylinder")
    SPHERE = "sphere", _("Sphere")


class SimulationRunQuerySet(models.QuerySet["SimulationRun"]):
    def for_user(self, user: Any) -> SimulationRunQuerySet:
        """Owner and members of the owner's firm; coordinators: runs of their desk; admins: all."""
        from clusterhub.core.models import role_of

        role = role_of(user)
        if role == "admin":
            return self
        if role == "sme":
            return self.filter(organisation_id=user.profile.organisation_id)
        if role == "coordinator":
            return self.filter(desk_id=user.profile.organisation_id)
        return self.none()


class SimulationRun(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="simulation_runs", verbose_name=_("owner"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="simulation_runs", verbose_name=_("foundry"))
    desk = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="desk_simulation_runs", verbose_name=_("support desk"))
    # The firm's region when the run was made: the statistics count by it (Table 4-9).
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="simulation_runs", verbose_name=_("region"))
    support_request = models.ForeignKey(
        "support.SupportRequest", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="simulation_runs", verbose_name=_("support request"))
    attached_at = models.DateTimeField(null=True, blank=True)
    solved_case = models.ForeignKey(
        "support.SolvedCase", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="simulation_runs", verbose_name=_("knowledge-base case"))
    published_at = models.DateTimeField(null=True, blank=True)

    title = models.CharField(_("product"), max_length=200)
    geometry = models.CharField(_("geometry"), max_length=10, choices=Geometry.choices)
    stl_name = models.CharField(max_length=200, blank=True)
    stl_path = models.CharField(max_length=300, blank=True)
    stl_size = models.PositiveIntegerField(null=True, blank=True)
    stl_sha256 = models.CharField(max_length=64, blank=True)
    riser = models.BooleanField(_("riser"), default=False)
    alloy = models.CharField(_("alloy"), max_length=60)
    mould = models.CharField(_("mould"), max_length=60)
    pouring_temperature = models.FloatField(_("pouring temperature (°C)"))
    mesh_mm = models.FloatField(_("cell size (mm)"))
    case = models.JSONField(_("case file"), default=dict)
    cells = models.PositiveIntegerField(default=0)

    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices,
                              default=RunStatus.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    summary = models.JSONField(default=dict, blank=True)
    result_path = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    wall_seconds = models.FloatField(null=True, blank=True)
    simulated_seconds = models.FloatField(null=True, blank=True)

    objects = SimulationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("simulation run")
        verbose_name_plural = _("simulation runs")
        indexes = [models.Index(fields=["organisation", "created_at"]),
                   models.Index(fields=["desk", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="simulation_progress_0_100"),
            models.CheckConstraint(condition=~Q(status="failed") | ~Q(error=""),
                                   name="simulation_failed_has_error"),
            models.CheckConstraint(condition=~Q(geometry="stl") | ~Q(stl_path=""),
                                   name="simulation_stl_has_file"),
            models.CheckConstraint(condition=Q(mesh_mm__gt=0), name="simulation_mesh_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("simulation:run", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def alloy_label(self) -> str:
        from .service import material_label

        return material_label(self.alloy)

    @property
    def mould_label(self) -> str:
        from .service import material_label

        return material_label(self.mould)

    @property
    def has_results(self) -> bool:
        return self.status == RunStatus.SUCCEEDED and bool(self.result_path)
