"""Models of the analytics app.

Activity records (one row per activity, amounts in million KRW) are what the institute KPI
report (seed Tables 4-2 to 4-7) aggregates; they arrive through the import pipeline
(`records.py`). The incentive ledger is filled by `actions.recompute_incentives`. Regional
indicators feed the typology of Fig 5-1; programmes are the catalogue of Table 4-1.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusterhub.core.models import Expert, Organisation, Region

CATEGORIES = ["joint_rnd", "contract_research", "tech_transfer", "guidance", "training"]


def _year_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(year__gte=1950, year__lte=2100), name=name)


class InstituteYear(models.Model):
    """An institute's report for a year: its regular staff and what it did not report."""

    external_id = models.CharField(max_length=64, unique=True)
    institution = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    regular_staff = models.PositiveIntegerField(_("regular staff"), null=True, blank=True)
    unreported = models.JSONField(_("unreported categories"), default=list, blank=True)

    class Meta:
        ordering = ["institution", "year"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "year"], name="one_institute_year"),
            _year_check("institute_year_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.institution_id}/{self.year}"


class JointRnd(models.Model):
    """A national R&D project carried out jointly with firms (seed: 공동기술개발)."""

    external_id = models.CharField(max_length=64, unique=True)
    institution = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    firms = models.ManyToManyField(Organisation, related_name="+")
    gov_mkrw = models.DecimalField(_("government funding (M KRW)"), max_digits=14, decimal_places=2)
    sme_mkrw = models.DecimalField(_("firm funding (M KRW)"), max_digits=14, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["institution", "year"])]
        constraints = [
            models.CheckConstraint(condition=Q(gov_mkrw__gte=0, sme_mkrw__gte=0),
                                   name="joint_rnd_amounts_not_negative"),
            _year_check("joint_rnd_year_range"),
        ]

    def __str__(self) -> str:
        return self.title


class ContractResearch(models.Model):
    """A research job commissioned by firms (seed: 위탁연구용역)."""

    external_id = models.CharField(max_length=64, unique=True)
    institution = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    client_firms = models.ManyToManyField(Organisation, related_name="+")
    amount_mkrw = models.DecimalField(_("amount (M KRW)"), max_digits=14, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["institution", "year"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount_mkrw__gte=0),
                                   name="contract_research_amount_not_negative"),
            _year_check("contract_research_year_range"),
        ]

    def __str__(self) -> str:
        return self.external_id


class TechTransfer(models.Model):
    """A technology transfer signed in `year`, with the royalty contracted."""

    external_id = models.CharField(max_length=64, unique=True)
    institution = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year signed"))
    firm = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    royalty_mkrw = models.DecimalField(_("royalty contracted (M KRW)"), max_digits=14, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["institution", "year"])]
        constraints = [
            models.CheckConstraint(condition=Q(royalty_mkrw__gte=0),
                                   name="tech_transfer_royalty_not_negative"),
            _year_check("tech_transfer_year_range"),
        ]

    def __str__(self) -> str:
        return self.external_id


class RoyaltyPayment(models.Model):
    """A royalty collected on a transfer (counted in the year it is paid)."""

    external_id = models.CharField(max_length=64, unique=True)
    transfer = models.ForeignKey(TechTransfer, on_delete=models.CASCADE, related_name="payments")
    date = models.DateField(_("date"), db_index=True)
    amount_mkrw = models.DecimalField(_("amount (M KRW)"), max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_mkrw__gte=0),
                                   name="royalty_payment_not_negative"),
        ]

    def __str__(self) -> str:
        return self.external_id


class Guidance(models.Model):
    """Technology guidance given to one firm in a year (seed: 기술지도)."""

    external_id = models.CharField(max_length=64, unique=True)
    institution = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    firm = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    man_months = models.DecimalField(_("man-months"), max_digits=9, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["institution", "year"])]
        constraints = [
            models.CheckConstraint(condition=Q(man_months__gte=0),
                                   name="guidance_man_months_not_negative"),
            _year_check("guidance_year_range"),
        ]

    def __str__(self) -> str:
        return self.external_id


class Training(models.Model):
    """A training course for firms' staff (seed: 기술인력교육)."""

    external_id = models.CharField(max_length=64, unique=True)
    institution = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    firms = models.ManyToManyField(Organisation, related_name="+")
    trainees = models.PositiveIntegerField(_("trainees"))

    class Meta:
        indexes = [models.Index(fields=["institution", "year"])]
        constraints = [_year_check("training_year_range")]

    def __str__(self) -> str:
        return self.external_id


class KpiCell(models.Model):
    """Pre-aggregated KPI figures of the imported activity records for one institution and year
    (derived data, refilled by `kpi.refresh_cells` when `KpiFill` says it is stale)."""

    institution = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    values = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "year"],
                                               name="one_kpi_cell")]

    def __str__(self) -> str:
        return f"{self.institution_id}/{self.year}"


class KpiFill(models.Model):
    """Fill state of KpiCell: `version` goes up with every write of activity records; the
    cells are fresh when they were filled at that version and with the same set of SMEs."""

    version = models.PositiveBigIntegerField(default=0)
    filled_version = models.BigIntegerField(default=-1)
    sme_fingerprint = models.CharField(max_length=100, blank=True)
    filled_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"version {self.version}, filled at {self.filled_version}"


class IncentiveLine(models.Model):
    """One ledger line: points one rule gives one expert for one closed case in a period.

    The expert's organisation is the centre and its parent institute (or the organisation
    itself) the institute; the period's lines are replaced as a whole by a recompute."""

    period = models.CharField(_("period"), max_length=16, db_index=True)
    request = models.ForeignKey("support.SupportRequest", on_delete=models.CASCADE,
                                related_name="+")
    rule = models.CharField(_("rule"), max_length=40)
    basis = models.CharField(_("outcome"), max_length=200)
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=2)
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="+")
    centre = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    institute = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["period", "request", "rule", "expert"]
        constraints = [
            models.UniqueConstraint(fields=["period", "request", "rule", "expert"],
                                    name="one_incentive_line_per_rule"),
        ]
        indexes = [models.Index(fields=["period", "centre"]),
                   models.Index(fields=["period", "institute"])]

    def __str__(self) -> str:
        return f"{self.period} #{self.request_id} {self.rule} {self.points}"


class IncentiveRun(models.Model):
    """The last recompute of a period: who, when, totals, and the scheme it applied."""

    period = models.CharField(_("period"), max_length=16, unique=True)
    computed_at = models.DateTimeField(default=timezone.now)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    cases = models.PositiveIntegerField(default=0)
    lines = models.PositiveIntegerField(default=0)
    points = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    scheme = models.JSONField(default=dict)

    class Meta:
        ordering = ["-period"]

    def __str__(self) -> str:
        return self.period


class RegionIndicator(models.Model):
    """One regional indicator value (manufacturing output, R&D personnel, ...) for a year."""

    external_id = models.CharField(max_length=64, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    indicator = models.CharField(_("indicator"), max_length=40)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=3)

    class Meta:
        ordering = ["region", "year", "indicator"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "indicator"],
                                    name="one_region_indicator_value"),
            _year_check("region_indicator_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id}/{self.year}/{self.indicator}"


class Programme(models.Model):
    """A funding programme (Table 4-1 and more, loaded from reference/programmes.json)."""

    external_id = models.CharField(max_length=64, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=120)
    target = models.CharField(_("target"), max_length=300)
    size = models.CharField(_("size"), max_length=200)
    funding = models.CharField(_("funding"), max_length=200)
    content = models.CharField(_("content"), max_length=300)
    eligible_kinds = models.JSONField(default=list)
    sme_only = models.BooleanField(default=False, help_text="A firm must be an SME.")
    gov_share = models.DecimalField(max_digits=5, decimal_places=4, null=True)
    local_share = models.DecimalField(max_digits=5, decimal_places=4, null=True)
    private_share = models.DecimalField(max_digits=5, decimal_places=4, null=True)
    public_cap_mkrw = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    min_budget_mkrw = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    max_budget_mkrw = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    source = models.CharField(_("source"), max_length=200)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["position", "external_id"]

    def __str__(self) -> str:
        return self.name
