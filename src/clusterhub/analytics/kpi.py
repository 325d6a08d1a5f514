"""The institute KPI report: seed Tables 4-2 to 4-7 out of activity records and closed cases.

Everything is aggregated in the database (one grouped query per category, conditional on the
firms' stored SME flag, `Organisation.is_sme`, which core keeps by the foundation's rule);
Python only arranges the few result rows and turns unreported categories into None.

Rules (docs/analytics.md):
- only activities with at least one SME among their firms count; distinct SMEs are counted
  per institution and year;
- a category listed as `unreported` in the institution's `institute_year` gives None, never 0;
  without an `institute_year`, a category with no activity at all is None too (unknown);
- the hub's own closed support cases count for the institution of their accepted experts, in
  the year they were closed, but only for institution-years WITHOUT an `institute_year`
  record: an imported institute report is taken as complete, hub cases included (no double
  counting).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusterhub.core.models import Organisation

from .models import (
    ContractResearch,
    Guidance,
    InstituteYear,
    JointRnd,
    KpiCell,
    KpiFill,
    RoyaltyPayment,
    TechTransfer,
    Training,
)


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any
    group: Any
    category: str  # unreported category that blanks it ("" for regular_staff)

    @property
    def is_amount(self) -> bool:
        return self.key.endswith("_mkrw")


GROUP_JOINT = _("Joint technology development through national R&D programmes")
GROUP_CONTRACT = _("Contract research commissioned by SMEs")
GROUP_TRANSFER = _("Technology transfer to SMEs")
GROUP_GUIDANCE = _("Technology guidance")
GROUP_TRAINING = _("Technical staff training")

METRICS: list[Metric] = [
    Metric("joint_rnd_projects", _("Projects with SMEs"), GROUP_JOINT, "joint_rnd"),
    Metric("joint_rnd_smes", _("Participating SMEs"), GROUP_JOINT, "joint_rnd"),
    Metric("joint_rnd_total_mkrw", _("Total R&D cost (A+B)"), GROUP_JOINT, "joint_rnd"),
    Metric("joint_rnd_gov_mkrw", _("Government funding (A)"), GROUP_JOINT, "joint_rnd"),
    Metric("joint_rnd_sme_mkrw", _("SME funding (B)"), GROUP_JOINT, "joint_rnd"),
    Metric("contract_research_jobs", _("Contract research jobs"), GROUP_CONTRACT, "contract_research"),
    Metric("contract_research_smes", _("SME clients"), GROUP_CONTRACT, "contract_research"),
    Metric("contract_research_mkrw", _("Contract research income"), GROUP_CONTRACT, "contract_research"),
    Metric("transfers", _("Technology transfers"), GROUP_TRANSFER, "tech_transfer"),
    Metric("royalty_contracted_mkrw", _("Royalties contracted"), GROUP_TRANSFER, "tech_transfer"),
    Metric("royalty_received_mkrw", _("Royalties received"), GROUP_TRANSFER, "tech_transfer"),
    Metric("guidance_firms", _("Firms guided"), GROUP_GUIDANCE, "guidance"),
    Metric("guidance_man_months", _("Guidance man-months"), GROUP_GUIDANCE, "guidance"),
    Metric("regular_staff", _("Regular staff"), GROUP_GUIDANCE, ""),
    Metric("training_smes", _("SMEs trained"), GROUP_TRAINING, "training"),
    Metric("trainees", _("Trainees per year"), GROUP_TRAINING, "training"),
]
METRIC_KEYS = [m.key for m in METRICS]
CATEGORY_METRICS: dict[str, list[str]] = defaultdict(list)
for _m in METRICS:
    if _m.category:
        CATEGORY_METRICS[_m.category].append(_m.key)

# Support types of closed hub cases and the category they count as.
CASE_CATEGORIES = {"guidance": "guidance", "training": "training", "joint_rnd": "joint_rnd",
                   "contract_research": "contract_research", "tech_transfer": "tech_transfer"}

Key = tuple[int, int]  # (institution pk, year)


@dataclass
class KpiResult:
    """Per (institution external id, year): metric -> number or None; plus institution names."""

    rows: dict[str, dict[int, dict[str, float | int | None]]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def years(self) -> list[int]:
        return sorted({y for per in self.rows.values() for y in per})

    def as_json(self) -> dict[str, dict[str, dict[str, float | int | None]]]:
        return {inst: {str(y): dict(vals) for y, vals in sorted(per.items())}
                for inst, per in self.rows.items()}

    def totals(self) -> dict[int, dict[str, Any]]:
        """Per year: each metric summed over the institutions that report it, and which of
        the institutions with a row that year do not (the seed's own way of adding up its six
        tables)."""
        out: dict[int, dict[str, Any]] = {}
        for year in self.years():
            sums: dict[str, float | int | None] = {}
            missing: dict[str, list[str]] = {}
            for key in METRIC_KEYS:
                values = []
                for inst, per in self.rows.items():
                    if year not in per:  # no row at all that year: not part of the table
                        continue
                    v = per[year].get(key)
                    if v is None:
                        missing.setdefault(key, []).append(inst)
                    else:
                        values.append(v)
                sums[key] = _clean(sum(Decimal(str(v)) for v in values)) if values else None
            out[year] = {"values": sums, "missing": missing}
        return out


def _clean(value: Any) -> float | int | None:
    if value is None:
        return None
    d = round(Decimal(str(value)), 3)
    return int(d) if d == d.to_integral_value() else float(round(d, 3))


def _scope(qs: QuerySet[Any], inst_field: str, year_field: str, institutions: list[int] | None,
           year_from: int | None, year_to: int | None) -> QuerySet[Any]:
    if institutions is not None:
        qs = qs.filter(**{f"{inst_field}__in": institutions})
    if year_from is not None:
        qs = qs.filter(**{f"{year_field}__gte": year_from})
    if year_to is not None:
        qs = qs.filter(**{f"{year_field}__lte": year_to})
    return qs


def _merge(target: dict[Key, dict[str, Any]], rows: Iterable[dict[str, Any]],
           inst: str, year: str, metrics: dict[str, str]) -> None:
    for row in rows:
        slot = target[(row[inst], row[year])]
        for metric, col in metrics.items():
            slot[metric] = (slot.get(metric) or 0) + (row[col] or 0)


def imported(institutions: list[int] | None = None, year_from: int | None = None,
             year_to: int | None = None) -> dict[Key, dict[str, Any]]:
    """Aggregates of the imported activity records, keyed by (institution pk, year)."""
    out: dict[Key, dict[str, Any]] = defaultdict(dict)

    def scope(qs: QuerySet[Any], inst: str = "institution_id", year: str = "year") -> Any:
        return _scope(qs, inst, year, institutions, year_from, year_to)

    jr_link = JointRnd.firms.through.objects.filter(organisation__is_sme=True)
    jr_counts = (scope(jr_link, "jointrnd__institution_id", "jointrnd__year")
                 .values("jointrnd__institution_id", "jointrnd__year")
                 .annotate(projects=Count("jointrnd_id", distinct=True),
                           smes=Count("organisation_id", distinct=True)).order_by())
    _merge(out, jr_counts, "jointrnd__institution_id", "jointrnd__year",
           {"joint_rnd_projects": "projects", "joint_rnd_smes": "smes"})
    jr_sums = (scope(JointRnd.objects.filter(Exists(jr_link.filter(jointrnd=OuterRef("pk")))))
               .values("institution_id", "year")
               .annotate(gov=Sum("gov_mkrw"), own=Sum("sme_mkrw")).order_by())
    _merge(out, jr_sums, "institution_id", "year",
           {"joint_rnd_gov_mkrw": "gov", "joint_rnd_sme_mkrw": "own"})

    cr_link = ContractResearch.client_firms.through.objects.filter(organisation__is_sme=True)
    cr_counts = (scope(cr_link, "contractresearch__institution_id", "contractresearch__year")
                 .values("contractresearch__institution_id", "contractresearch__year")
                 .annotate(jobs=Count("contractresearch_id", distinct=True),
                           smes=Count("organisation_id", distinct=True)).order_by())
    _merge(out, cr_counts, "contractresearch__institution_id", "contractresearch__year",
           {"contract_research_jobs": "jobs", "contract_research_smes": "smes"})
    cr_sums = (scope(ContractResearch.objects.filter(
        Exists(cr_link.filter(contractresearch=OuterRef("pk")))))
        .values("institution_id", "year").annotate(amount=Sum("amount_mkrw")).order_by())
    _merge(out, cr_sums, "institution_id", "year", {"contract_research_mkrw": "amount"})

    tt = (scope(TechTransfer.objects.filter(firm__is_sme=True)).values("institution_id", "year")
          .annotate(n=Count("id"), royalty=Sum("royalty_mkrw")).order_by())
    _merge(out, tt, "institution_id", "year",
           {"transfers": "n", "royalty_contracted_mkrw": "royalty"})
    paid = (scope(RoyaltyPayment.objects.filter(transfer__firm__is_sme=True)
                  .annotate(paid_year=ExtractYear("date")), "transfer__institution_id",
                  "paid_year")
            .values("transfer__institution_id", "paid_year")
            .annotate(amount=Sum("amount_mkrw")).order_by())
    _merge(out, paid, "transfer__institution_id", "paid_year",
           {"royalty_received_mkrw": "amount"})

    gd = (scope(Guidance.objects.filter(firm__is_sme=True)).values("institution_id", "year")
          .annotate(firms=Count("firm_id", distinct=True), mm=Sum("man_months")).order_by())
    _merge(out, gd, "institution_id", "year",
           {"guidance_firms": "firms", "guidance_man_months": "mm"})

    tr_link = Training.firms.through.objects.filter(organisation__is_sme=True)
    tr_counts = (scope(tr_link, "training__institution_id", "training__year")
                 .values("training__institution_id", "training__year")
                 .annotate(smes=Count("organisation_id", distinct=True)).order_by())
    _merge(out, tr_counts, "training__institution_id", "training__year",
           {"training_smes": "smes"})
    tr_sums = (scope(Training.objects.filter(Exists(tr_link.filter(training=OuterRef("pk")))))
               .values("institution_id", "year").annotate(people=Sum("trainees")).order_by())
    _merge(out, tr_sums, "institution_id", "year", {"trainees": "people"})
    return out


def hub_cases(institutions: list[int] | None = None, year_from: int | None = None,
              year_to: int | None = None) -> dict[Key, dict[str, Any]]:
    """Aggregates of the hub's closed support cases of SMEs, for institution-years without an
    imported institute report."""
    from clusterhub.support.models import HOURS_PER_MAN_MONTH, Assignment, WorkLog

    out: dict[Key, dict[str, Any]] = defaultdict(dict)
    reported = InstituteYear.objects.filter(institution_id=OuterRef("inst"),
                                            year=OuterRef("closed_year"))
    cases = (Assignment.objects.filter(state="accepted", request__status="closed",
                                       request__firm__is_sme=True,
                                       request__closed_at__isnull=False,
                                       request__support_type__in=list(CASE_CATEGORIES))
             .annotate(inst=F("expert__organisation_id"),
                       closed_year=ExtractYear("request__closed_at"))
             .filter(~Exists(reported)))
    cases = _scope(cases, "inst", "closed_year", institutions, year_from, year_to)
    counted = (cases.values("inst", "closed_year", "request__support_type")
               .annotate(n=Count("request_id", distinct=True),
                         firms=Count("request__firm_id", distinct=True)).order_by())
    names = {"guidance": ("guidance_firms", None), "training": ("training_smes", None),
             "joint_rnd": ("joint_rnd_projects", "joint_rnd_smes"),
             "contract_research": ("contract_research_jobs", "contract_research_smes"),
             "tech_transfer": ("transfers", None)}
    for row in counted:
        slot = out[(row["inst"], row["closed_year"])]
        first, second = names[row["request__support_type"]]
        if second is None:
            value = row["firms"] if first.endswith(("_firms", "_smes")) else row["n"]
            slot[first] = (slot.get(first) or 0) + value
        else:
            slot[first] = (slot.get(first) or 0) + row["n"]
            slot[second] = (slot.get(second) or 0) + row["firms"]
    hours = (WorkLog.objects.filter(request__status="closed", request__support_type="guidance",
                                    request__firm__is_sme=True,
                                    request__closed_at__isnull=False)
             .annotate(inst=F("expert__organisation_id"),
                       closed_year=ExtractYear("request__closed_at"))
             .filter(~Exists(reported)))
    hours = _scope(hours, "inst", "closed_year", institutions, year_from, year_to)
    for row in hours.values("inst", "closed_year").annotate(h=Sum("hours")).order_by():
        slot = out[(row["inst"], row["closed_year"])]
        mm = Decimal(row["h"] or 0) / HOURS_PER_MAN_MONTH
        slot["guidance_man_months"] = (slot.get("guidance_man_months") or 0) + mm
    return out


def institution_ids(external_ids: Iterable[str]) -> list[int]:
    """Primary keys of the named organisations; ValueError naming the first unknown id."""
    wanted = list(external_ids)
    found = dict(Organisation.objects.filter(external_id__in=wanted)
                 .values_list("external_id", "pk"))
    for ext in wanted:
        if ext not in found:
            raise ValueError(f"unknown institution '{ext}'")
    return [found[e] for e in wanted]


def mark_stale() -> None:
    """Activity records changed: the pre-aggregated cells must be refilled before use."""
    updated = KpiFill.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        KpiFill.objects.get_or_create(pk=1, defaults={"version": 1})


def sme_fingerprint() -> str:
    """Changes whenever a firm becomes or stops being an SME (one indexed scan of the firms)."""
    row = Organisation.objects.filter(kind="firm", is_sme=True).aggregate(
        n=Count("id"), s=Sum("id"), q=Sum(F("id") * F("id") % 1000003))
    return f"{row['n']}:{row['s'] or 0}:{row['q'] or 0}"


def refresh_cells(force: bool = False) -> bool:
    """Refill KpiCell from the activity records if they changed (or the SME set did) since
    the last fill; returns whether it refilled. All aggregation runs in the database."""
    fill, _created = KpiFill.objects.get_or_create(pk=1)
    fingerprint = sme_fingerprint()
    if not force and fill.filled_version == fill.version \
            and fill.sme_fingerprint == fingerprint:
        return False
    with transaction.atomic():
        fill = KpiFill.objects.select_for_update().get(pk=1)
        if not force and fill.filled_version == fill.version \
                and fill.sme_fingerprint == fingerprint:
            return False  # another request filled them while this one waited for the lock
        version = fill.version  # writes committed after this point make the fill stale again
        data = imported()
        KpiCell.objects.all().delete()
        KpiCell.objects.bulk_create(
            [KpiCell(institution_id=inst, year=year,
                     values={k: str(v) for k, v in vals.items()})
             for (inst, year), vals in data.items()], batch_size=2000)
        KpiFill.objects.filter(pk=1).update(filled_version=version,
                                            sme_fingerprint=fingerprint,
                                            filled_at=timezone.now())
    return True


def cached_imported(institutions: list[int] | None = None, year_from: int | None = None,
                    year_to: int | None = None) -> dict[Key, dict[str, Any]]:
    """`imported()` read from the pre-aggregated cells (refilled first when stale)."""
    refresh_cells()
    qs = _scope(KpiCell.objects.all(), "institution_id", "year", institutions, year_from,
                year_to)
    return {(inst, year): {k: Decimal(v) for k, v in vals.items()}
            for inst, year, vals in qs.values_list("institution_id", "year", "values")}


def compute(institutions: list[str] | None = None, year_from: int | None = None,
            year_to: int | None = None, live: bool = False) -> KpiResult:
    """The KPI table: {institution: {year: {metric: value or None}}}. Imported records come
    from the pre-aggregated cells (`live=True` aggregates them afresh instead)."""
    pks = institution_ids(institutions) if institutions else None
    data = (imported if live else cached_imported)(pks, year_from, year_to)
    for key, vals in hub_cases(pks, year_from, year_to).items():
        slot = data.setdefault(key, {})
        for metric, v in vals.items():
            slot[metric] = (slot.get(metric) or 0) + v
    years = _scope(InstituteYear.objects.all(), "institution_id", "year", pks, year_from,
                   year_to).values_list("institution_id", "year", "regular_staff", "unreported")
    reports = {(i, y): (staff, set(unrep)) for i, y, staff, unrep in years}
    keys = set(data) | set(reports)
    orgs = dict(Organisation.objects.filter(pk__in={k[0] for k in keys})
                .values_list("pk", "external_id"))
    result = KpiResult()
    result.names = dict(Organisation.objects.filter(pk__in=orgs).values_list("external_id",
                                                                               "name"))
    for inst_pk, year in sorted(keys, key=lambda k: (orgs[k[0]], k[1])):
        vals = data.get((inst_pk, year), {})
        report = reports.get((inst_pk, year))
        row: dict[str, float | int | None] = {}
        for category, metrics in CATEGORY_METRICS.items():
            for m in metrics:
                # Reported year: the category as a whole is there or not. Otherwise only what
                # the records say (hub cases carry no funding amounts or trainee numbers).
                blank = category in report[1] if report else m not in vals
                row[m] = None if blank else _clean(vals.get(m, 0))
        jr_blank = row["joint_rnd_gov_mkrw"] is None
        row["joint_rnd_total_mkrw"] = None if jr_blank else _clean(
            Decimal(str(row["joint_rnd_gov_mkrw"])) + Decimal(str(row["joint_rnd_sme_mkrw"])))
        row["regular_staff"] = report[0] if report else None
        result.rows.setdefault(orgs[inst_pk], {})[year] = {k: row[k] for k in METRIC_KEYS}
    return result


def support_by_region(year_from: int | None = None, year_to: int | None = None,
                      centre: int | None = None) -> list[dict[str, Any]]:
    """The hub's own support statistics by region (as the digital design centre's Table 4-9):
    per region of the request and year closed, distinct firms and closed cases; `centre`
    limits to cases with an accepted expert of that organisation."""
    from clusterhub.support.models import SupportRequest

    qs: QuerySet[Any] = (SupportRequest.objects.filter(status="closed", closed_at__isnull=False)
                         .annotate(closed_year=ExtractYear("closed_at")))
    if centre is not None:
        qs = qs.filter(assignments__state="accepted",
                       assignments__expert__organisation_id=centre)
    qs = _scope(qs, "region_id", "closed_year", None, year_from, year_to)
    return list(qs.values("closed_year", "region__name", "region__code")
                .annotate(firms=Count("firm_id", distinct=True),
                          cases=Count("id", distinct=True))
                .order_by("closed_year", "region__code"))
