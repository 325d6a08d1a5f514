"""Matching: the concept table (editable in the admin), field corrections, and the bookkeeping
of the persisted search index (changes since the last build, builds with their progress)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Concept(models.Model):
    """A term (word, phrase, alloy grade, symptom) and the taxonomy fields it points to.

    Seeded from `matching/concepts.jsonl` by a data migration (`clusterhub match-index
    --load-concepts` adds entries of a newer file); admins edit it here."""

    term = models.CharField(_("term"), max_length=100, unique=True)
    fields = models.JSONField(
        _("fields"), default=list,
        help_text=_("External ids of technology fields, the most specific first."))
    weight = models.FloatField(
        _("weight"), default=1.0,
        help_text=_("How strongly the term points to its fields (1 = unambiguous)."))
    expand = models.JSONField(
        _("query expansion"), default=list, blank=True,
        help_text=_("Words added to a query that contains the term (synonyms, spellings)."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["term"]
        verbose_name = _("concept")
        verbose_name_plural = _("concepts")
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gt=0) & models.Q(weight__lte=5),
                                   name="concept_weight_range"),
        ]

    def __str__(self) -> str:
        return self.term

    def clean(self) -> None:
        from clusterhub.core.models import TechField

        if not isinstance(self.fields, list) or not self.fields:
            raise ValidationError({"fields": _("Give at least one field id.")})
        if not isinstance(self.expand, list) or not all(isinstance(w, str) for w in self.expand):
            raise ValidationError({"expand": _("Give a list of words.")})
        known = set(TechField.objects.filter(external_id__in=self.fields)
                    .values_list("external_id", flat=True))
        unknown = [f for f in self.fields if f not in known]
        if unknown and TechField.objects.exists():
            raise ValidationError({"fields": _("Unknown field: %(id)s") % {"id": unknown[0]}})


class FieldCorrection(models.Model):
    """A person confirmed or corrected the fields suggested for a text: a training signal."""

    request = models.ForeignKey(
        "support.SupportRequest", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="field_corrections", verbose_name=_("support request"))
    text = models.TextField(_("text"))
    suggested = models.JSONField(_("suggested"), default=list,
                                 help_text=_("[{field, confidence}] as suggested"))
    confirmed = models.JSONField(_("confirmed"), default=list, help_text=_("field ids"))
    added = models.JSONField(_("added"), default=list)
    removed = models.JSONField(_("removed"), default=list)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("field correction")
        verbose_name_plural = _("field corrections")

    def __str__(self) -> str:
        return f"#{self.request_id or '-'} +{self.added} -{self.removed}"

    @property
    def accepted_as_suggested(self) -> bool:
        return not self.added and not self.removed


class IndexChange(models.Model):
    """An indexed object was created, changed or deleted after the current index build.

    Written in the same transaction as the change (signals and import hooks), read by every
    process that matches, and deleted once a build includes it."""

    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    # Random: tells this change from a rolled-back one whose id the database reused.
    token = models.CharField(max_length=32)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["kind", "object_id"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class IndexBuild(models.Model):
    """A full build of the persisted index, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    path = models.CharField(max_length=500, blank=True)
    analyzer_version = models.CharField(max_length=40, blank=True)
    change_seq = models.BigIntegerField(
        default=0, help_text=_("Changes up to this IndexChange id are in the build."))
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    docs = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("index build")
        verbose_name_plural = _("index builds")

    def __str__(self) -> str:
        return f"build {self.pk} ({self.status})"

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else (1.0 if self.status == "done" else 0.0)
