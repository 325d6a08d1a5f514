"""Shared equipment: the registry, when items may be used, who is trained, bookings, vouchers
and the ledger of compensation owed to owners for shared use.

THE invariant: no two blocking bookings (held, requested or confirmed) of one item overlap,
set-up and cleaning buffers included. The buffered interval is stored on each booking
(`blocked_start`, `blocked_end`, half-open). PostgreSQL enforces it with an exclusion constraint
on `tstzrange(blocked_start, blocked_end, '[)')` (migration 0001's last operations, PostgreSQL only); on SQLite the
booking transaction is serialised (BEGIN IMMEDIATE, settings `transaction_mode`) and checks
overlaps before it writes (actions.py). docs/equipment.md explains both.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusterhub.core.models import Organisation, TechField, TextJSONEncoder

SITE_TIME_ZONE = "Asia/Seoul"


class Mode(models.TextChoices):
    DIRECT = "direct", _("Direct use by a trained user")
    ANALYSIS = "analysis", _("Analysis on request")
    PILOT = "pilot", _("Pilot-plant run")


class EquipmentStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    MAINTENANCE = "maintenance", _("In maintenance")
    RETIRED = "retired", _("Retired")


class FeeUnit(models.TextChoices):
    HOUR = "hour", _("per hour")
    SAMPLE = "sample", _("per sample")


class EquipmentQuerySet(models.QuerySet["Equipment"]):
    def listed(self) -> EquipmentQuerySet:
        """What the public registry shows: everything but retired items."""
        return self.exclude(status=EquipmentStatus.RETIRED)

    def managed_by(self, user: Any) -> EquipmentQuerySet:
        """Items whose owner or site is the user's organisation (owner staff), all for admins."""
        from clusterhub.core.models import role_of

        role = role_of(user)
        if role == "admin":
            return self
        org_id = getattr(getattr(user, "profile", None), "organisation_id", None)
        if role != "coordinator" or org_id is None:
            return self.none()
        return self.filter(Q(owner_id=org_id) | Q(site_id=org_id))

    def search(self, text: str) -> EquipmentQuerySet:
        qs = self
        for word in text.split():
            qs = qs.filter(Q(name__icontains=word) | Q(capabilities__icontains=word)
                           | Q(maker__icontains=word) | Q(model_name__icontains=word))
        return qs


class Equipment(models.Model):
    """One shareable item (machine, instrument, workstation, pilot line)."""

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="equipment_owned",
                              verbose_name=_("owner"))
    site = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="equipment_sited",
                             verbose_name=_("site"))
    classification = models.CharField(_("classification code"), max_length=16, db_index=True)
    maker = models.CharField(_("maker"), max_length=120, blank=True)
    model_name = models.CharField(_("model"), max_length=120, blank=True)
    acquired_year = models.PositiveSmallIntegerField(_("acquisition year"), null=True, blank=True)
    acquisition_value_mkrw = models.DecimalField(_("acquisition value (M KRW)"), max_digits=12,
                                                 decimal_places=1, null=True, blank=True)
    capabilities = models.TextField(_("capabilities"), blank=True)
    fields = models.ManyToManyField(TechField, blank=True, related_name="equipment")
    modes = models.JSONField(_("use modes"), default=list, encoder=TextJSONEncoder)
    fee_unit = models.CharField(_("fee unit"), max_length=8, choices=FeeUnit.choices,
                                default=FeeUnit.HOUR)
    fee_krw = models.DecimalField(_("fee (KRW)"), max_digits=12, decimal_places=0, default=0)
    operator_fee_krw = models.DecimalField(_("technician fee per hour (KRW)"), max_digits=12,
                                           decimal_places=0, default=0)
    sme_discount_pct = models.DecimalField(_("SME discount (%)"), max_digits=5, decimal_places=2,
                                           default=0)
    status = models.CharField(_("status"), max_length=12, choices=EquipmentStatus.choices,
                              default=EquipmentStatus.AVAILABLE, db_index=True)
    training_required = models.BooleanField(_("training required for direct use"), default=True)
    requires_approval = models.BooleanField(_("owner approves bookings"), default=True)
    setup_minutes = models.PositiveIntegerField(_("set-up buffer (minutes)"), default=0)
    cleanup_minutes = models.PositiveIntegerField(_("cleaning buffer (minutes)"), default=0)
    min_minutes = models.PositiveIntegerField(_("shortest booking (minutes)"), default=30)
    max_minutes = models.PositiveIntegerField(_("longest booking (minutes)"), default=8 * 60)
    notice_hours = models.PositiveIntegerField(_("notice (hours)"), default=0)
    campaign_max_days = models.PositiveIntegerField(
        _("longest pilot campaign (days)"), default=0,
        help_text=_("Pilot-plant runs may span whole days up to this many (0: not offered)."))
    # Share of the fee income owed to the owner for shared use (the seed's reward for joint
    # operation, l.3506-3512); the rest goes to the operating site.
    compensation_pct = models.DecimalField(_("owner compensation (%)"), max_digits=5,
                                           decimal_places=2, default=30)
    photo_url = models.CharField(_("photo"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EquipmentQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        constraints = [
            models.CheckConstraint(condition=Q(min_minutes__gt=0) & Q(max_minutes__gte=models.F("min_minutes")),
                                   name="equipment_duration_bounds"),
            models.CheckConstraint(condition=Q(sme_discount_pct__gte=0) & Q(sme_discount_pct__lte=100),
                                   name="equipment_discount_is_percentage"),
            models.CheckConstraint(condition=Q(compensation_pct__gte=0) & Q(compensation_pct__lte=100),
                                   name="equipment_compensation_is_percentage"),
            models.CheckConstraint(condition=Q(fee_krw__gte=0) & Q(operator_fee_krw__gte=0),
                                   name="equipment_fees_not_negative"),
        ]
        indexes = [models.Index(fields=["site", "status"]), models.Index(fields=["owner"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("equipment:detail", args=[self.external_id])

    @property
    def mode_labels(self) -> list[str]:
        return [str(Mode(m).label) for m in self.modes if m in Mode.values]


class OpeningHours(models.Model):
    """When a site is open on a weekday, in the site's local time (Asia/Seoul). Bookings are
    stored in UTC; these wall-clock times are turned into UTC instants date by date."""

    site = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday
    opens = models.TimeField(_("opens"), default=time(9))
    closes = models.TimeField(_("closes"), default=time(18))

    class Meta:
        ordering = ["site", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0) & Q(weekday__lte=6),
                                   name="opening_weekday_0_to_6"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")),
                                   name="opening_closes_after_opens"),
            models.UniqueConstraint(fields=["site", "weekday", "opens"], name="one_opening_per_start"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.weekday} {self.opens}-{self.closes}"


class Blackout(models.Model):
    """Time an item (or every item of a site) cannot be booked: maintenance or closure."""

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", _("Maintenance")
        CLOSURE = "closure", _("Closure")

    equipment = models.ForeignKey(Equipment, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="blackouts")
    site = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="equipment_blackouts")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MAINTENANCE)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="blackout_ends_after_start"),
            models.CheckConstraint(condition=Q(equipment__isnull=False) | Q(site__isnull=False),
                                   name="blackout_has_item_or_site"),
        ]
        indexes = [models.Index(fields=["equipment", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.starts_at:%Y-%m-%d}"


class Training(models.Model):
    """A user's qualification on an item (needed for direct use where the item requires it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="equipment_trainings")
    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="trainings")
    granted_at = models.DateTimeField(default=timezone.now)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "equipment"],
                                               name="one_training_per_user_item")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.equipment_id}"


class VoucherQuerySet(models.QuerySet["Voucher"]):
    def for_firm(self, firm_id: int | None) -> VoucherQuerySet:
        return self.filter(firm_id=firm_id)


class Voucher(models.Model):
    """A subsidy a firm may spend on equipment use (e.g. a shared-equipment voucher)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    firm = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="vouchers")
    programme = models.CharField(_("programme"), max_length=120, blank=True)
    amount_krw = models.DecimalField(_("amount (KRW)"), max_digits=12, decimal_places=0)
    coverage_pct = models.DecimalField(_("share of the fee covered (%)"), max_digits=5,
                                       decimal_places=2, default=100)
    used_krw = models.DecimalField(_("used (KRW)"), max_digits=12, decimal_places=0, default=0)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = VoucherQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(used_krw__gte=0) & Q(used_krw__lte=models.F("amount_krw")),
                                   name="voucher_used_within_amount"),
            models.CheckConstraint(condition=Q(coverage_pct__gt=0) & Q(coverage_pct__lte=100),
                                   name="voucher_coverage_is_percentage"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def balance_krw(self) -> Any:
        return self.amount_krw - self.used_krw


class BookingStatus(models.TextChoices):
    HELD = "held", _("Held")
    REQUESTED = "requested", _("Awaiting approval")
    CONFIRMED = "confirmed", _("Confirmed")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("Refused")


# Bookings that block their interval: the exclusion constraint's partial condition.
BLOCKING = ("held", "requested", "confirmed", "checked_in")
ENDED = ("completed", "no_show", "cancelled", "refused")


class BookingQuerySet(models.QuerySet["Booking"]):
    def blocking(self) -> BookingQuerySet:
        return self.filter(status__in=BLOCKING)

    def overlapping(self, start: Any, end: Any) -> BookingQuerySet:
        """Bookings whose buffered interval meets [start, end) (half-open)."""
        return self.filter(blocked_start__lt=end, blocked_end__gt=start)

    def for_user(self, user: Any) -> BookingQuerySet:
        """Bookings a user may see: their firm's (SME members), their own, those of the items
        their organisation owns or operates (coordinators), all (admins, analysts)."""
        from clusterhub.core.models import role_of

        role = role_of(user)
        if role in ("admin", "analyst"):
            return self
        if role is None:
            return self.none()
        org_id = getattr(getattr(user, "profile", None), "organisation_id", None)
        q = Q(booked_by=user)
        if role == "sme" and org_id:
            q |= Q(firm_id=org_id)
        if role == "coordinator" and org_id:
            q |= Q(equipment__owner_id=org_id) | Q(equipment__site_id=org_id)
        return self.filter(q)


class Booking(models.Model):
    """A use of one item over [start, end), with its buffers, fee quote and outcome."""

    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    equipment = models.ForeignKey(Equipment, on_delete=models.PROTECT, related_name="bookings")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="equipment_bookings")
    firm = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="equipment_bookings")
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.DIRECT)
    purpose = models.TextField(_("purpose"), blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    status = models.CharField(_("status"), max_length=12, choices=BookingStatus.choices,
                              default=BookingStatus.REQUESTED, db_index=True)
    samples = models.PositiveIntegerField(_("samples"), default=0)
    series = models.CharField(max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    actual_hours = models.DecimalField(_("actual hours"), max_digits=7, decimal_places=2,
                                       null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    support_request = models.ForeignKey("support.SupportRequest", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="bookings")
    voucher = models.ForeignKey(Voucher, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="bookings")
    # The quote, fixed when the booking is made (KRW).
    fee_krw = models.DecimalField(max_digits=12, decimal_places=0, default=0)
    discount_krw = models.DecimalField(max_digits=12, decimal_places=0, default=0)
    voucher_krw = models.DecimalField(max_digits=12, decimal_places=0, default=0)
    total_krw = models.DecimalField(max_digits=12, decimal_places=0, default=0)
    sme = models.BooleanField(default=False)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="booking_ends_after_start"),
            models.CheckConstraint(
                condition=Q(blocked_start__lte=models.F("start")) & Q(blocked_end__gte=models.F("end")),
                name="booking_buffers_contain_use"),
            models.CheckConstraint(condition=Q(actual_hours__isnull=True) | Q(actual_hours__gte=0),
                                   name="booking_actual_hours_not_negative"),
            models.CheckConstraint(condition=~Q(status="completed") | Q(actual_hours__isnull=False),
                                   name="completed_booking_has_actual_hours"),
        ]
        indexes = [
            models.Index(fields=["equipment", "blocked_start"]),
            models.Index(fields=["booked_by", "start"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.equipment_id} {self.start:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("equipment:booking", args=[self.pk])

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    @property
    def is_blocking(self) -> bool:
        return self.status in BLOCKING


class UnmetDemand(models.Model):
    """A request the hub could not serve: a conflicting attempt (logged in its own transaction
    after the refusal), for the unmet-demand figure of the utilisation report. Refusals by the
    owner are bookings in status "refused"."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="unmet")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    firm = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.CharField(max_length=20, default="conflict")

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.equipment_id} {self.reason}"


class Compensation(models.Model):
    """The ledger: what an owner is owed for the shared use of its item by others (one row per
    completed booking of a user outside the owner; the seed's compensation for joint operation,
    l.3506-3512, l.3524-3529)."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="compensation")
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="compensations")
    period = models.CharField(_("period"), max_length=7, db_index=True)  # YYYY-MM (Seoul)
    hours = models.DecimalField(max_digits=7, decimal_places=2)
    amount_krw = models.DecimalField(_("amount (KRW)"), max_digits=12, decimal_places=0)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period", "owner_id"]
        constraints = [models.CheckConstraint(condition=Q(amount_krw__gte=0),
                                              name="compensation_not_negative")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.period} {self.amount_krw}"


class EquipmentPhoto(models.Model):
    """A photo of an item, uploaded by its owner's or site's staff; stored outside the web root
    by SHA-256 and served by a view."""

    MAX_PER_ITEM = 12

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="photos")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_path = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("photo")
        constraints = [
            models.UniqueConstraint(fields=["equipment", "sha256"], name="equipment_photo_once"),
            models.CheckConstraint(condition=Q(size__gt=0), name="equipment_photo_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.equipment_id}: {self.caption or self.sha256[:12]}"
