"""Named reads of the directory."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat

from .models import Cluster, Expert, Organisation, Region, Role, TechField, role_of


def region_q(value: str, prefix: str = "region") -> Q:
    """Match a region by code or Korean short name."""
    return Q(**{f"{prefix}__code": value}) | Q(**{f"{prefix}__short_name": value})


def region_pks(value: str) -> list[int]:
    """The region named by code or Korean short name, as primary keys: filtering on these lets
    the planner use the (kind, region) index, where a join on either name cannot."""
    return list(Region.objects.filter(Q(code=value) | Q(short_name=value))
                .values_list("pk", flat=True))


def field_ids_with_descendants(external_id: str) -> list[int]:
    """A field and everything under it (the taxonomy is shallow: walk it level by level)."""
    ids = list(TechField.objects.filter(external_id=external_id).values_list("pk", flat=True))
    frontier = list(ids)
    while frontier:
        frontier = list(TechField.objects.filter(parent_id__in=frontier)
                        .values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def _having_field(qs: QuerySet[Any], field: str) -> QuerySet[Any]:
    """Rows tagged with a field or one of its descendants: a semi-join on the link table, not a
    join plus DISTINCT over every column (which sorted whole rows: docs/benchmarks.md)."""
    m2m = qs.model._meta.get_field("fields")
    through = m2m.remote_field.through  # type: ignore[union-attr]
    owner = f"{m2m.m2m_field_name()}_id"  # type: ignore[union-attr]
    ids = field_ids_with_descendants(field)
    return qs.filter(pk__in=through.objects.filter(techfield_id__in=ids).values(owner))


def _unindexed(column: str) -> Concat:
    """`column` as an expression no index serves. A text search scans the table anyway (LIKE
    '%word%'); ordering its matches by the bare column lets SQLite and PostgreSQL walk the column's
    index for ORDER BY ... LIMIT instead, which for a word that matches few rows visits every row
    in index order: hundreds of ms at 100,000 rows (docs/benchmarks.md). Same order."""
    return Concat(column, Value(""))


def directory_organisations(q: str = "", kind: str = "", region: str = "", field: str = "",
                            sme: bool | None = None) -> QuerySet[Organisation]:
    qs: QuerySet[Organisation] = Organisation.objects.all()
    if q:
        # The matching ids as a subquery: one scan of the table. Inline, SQLite planned the
        # words with the other filters, e.g. walking all 99,000 firms of the kind index and
        # looking up each row for `kind=firm&q=...` (docs/benchmarks.md).
        qs = qs.filter(pk__in=Organisation.objects.search(q).values("pk"))
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(region_id__in=region_pks(region))
    if field:
        qs = _having_field(qs, field)
    if sme is not None:
        qs = qs.filter(is_sme=sme)
    if q:
        return qs.order_by(_unindexed("name"), "pk")
    return qs.order_by("name", "pk")


def directory_experts(q: str = "", field: str = "", region: str = "",
                      organisation: str = "") -> QuerySet[Expert]:
    qs: QuerySet[Expert] = Expert.objects.select_related("organisation").prefetch_related("fields")
    if q:
        qs = Expert.objects.search(q).select_related("organisation").prefetch_related("fields")
    if field:
        qs = _having_field(qs, field)
    if region:
        # EXISTS on the expert's own organisation, not a filter on the joined organisation nor
        # `organisation IN (the region's organisations)`: with those SQLite looped over the
        # region's 20,000 organisations (and, with a field, over the field's experts for each:
        # ten seconds) where checking each candidate expert's organisation is cheap.
        qs = qs.filter(Exists(Organisation.objects.filter(
            pk=OuterRef("organisation_id"), region_id__in=region_pks(region))))
    if organisation:
        qs = qs.filter(organisation__external_id=organisation)
    if q:
        return qs.order_by(_unindexed("name"), "pk")
    return qs.order_by("name", "pk")


def can_see_firm_figures(user: Any, firm: Organisation) -> bool:
    """A firm's business figures: its own members, coordinators, admins and analysts."""
    role = role_of(user)
    if role in (Role.ADMIN, Role.ANALYST, Role.COORDINATOR):
        return True
    return role == Role.SME and user.profile.organisation_id == firm.pk


def hub_figures() -> dict[str, int]:
    """The numbers on the home page."""
    from clusterhub.support.models import OPEN_STATUSES, SolvedCase, SupportRequest

    return {
        "regions": Region.objects.count(),
        "clusters": Cluster.objects.count(),
        "support_organisations": Organisation.objects.support_providers().count(),
        "smes": Organisation.objects.filter(is_sme=True).count(),
        "experts": Expert.objects.count(),
        "open_requests": SupportRequest.objects.filter(status__in=OPEN_STATUSES).count(),
        "closed_requests": SupportRequest.objects.filter(status="closed").count(),
        "solved_cases": SolvedCase.objects.published().count(),
    }
