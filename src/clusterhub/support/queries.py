"""Named reads of the support desk."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from clusterhub.core.models import Role, TechField, role_of

from .models import (
    HOURS_PER_MAN_MONTH,
    Assignment,
    Attachment,
    JointProject,
    SolvedCase,
    SupportRequest,
    SupportRequestQuerySet,
)


def get_request_for_user(user: Any, pk: int) -> SupportRequest:
    """The request if the user may see it; 404 for missing and not-yours alike."""
    req = (SupportRequest.objects.for_user(user)
           .select_related("firm", "region", "routed_to", "submitted_by", "joint_project")
           .filter(pk=pk).first())
    if req is None:
        raise Http404
    return req


def get_joint_project_for_user(user: Any, pk: int) -> JointProject:
    """The joint project if the user may see it; 404 for missing and not-yours alike."""
    project = (JointProject.objects.for_user(user).select_related("organisation", "created_by")
               .filter(pk=pk).first())
    if project is None:
        raise Http404
    return project


def joint_project_requests(user: Any, project: JointProject) -> SupportRequestQuerySet:
    """The project's requests this user may see (an SME member sees only its own firm's)."""
    return (SupportRequest.objects.for_user(user).filter(joint_project=project)
            .select_related("firm", "region").order_by("created_at", "pk"))


def get_attachment_for_user(user: Any, request_pk: int, pk: int) -> Attachment:
    req = get_request_for_user(user, request_pk)
    att = req.attachments.filter(pk=pk).first()
    if att is None:
        raise Http404
    return att


def request_list(user: Any) -> SupportRequestQuerySet:
    """The list page's rows with what they show, in a fixed number of queries."""
    return (SupportRequest.objects.for_user(user).with_overdue_flags()  # type: ignore[no-any-return]
            .select_related("firm", "region", "routed_to")
            .prefetch_related(Prefetch("fields",
                                       queryset=TechField.objects.only("name", "external_id")))
            .order_by("-created_at", "-id"))


def coordinator_queue(user: Any, status: str = "", overdue: bool = False, support_type: str = "",
                      field: str = "", q: str = "") -> SupportRequestQuerySet:
    qs = request_list(user)
    if status == "open" or not status:
        qs = qs.open()
    elif status != "all":
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.overdue()
    if support_type:
        qs = qs.filter(support_type=support_type)
    if field:
        qs = qs.filter(fields__external_id=field)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q)
                       | Q(firm__name__icontains=q))
    return qs


def expert_inbox(user: Any) -> QuerySet[Assignment]:
    expert = getattr(user, "expert", None)
    if expert is None or role_of(user) != Role.EXPERT:
        return Assignment.objects.none()
    return (Assignment.objects.filter(expert=expert, state__in=["offered", "accepted"])
            .select_related("request", "request__firm", "request__region")
            .order_by("state", "-offered_at"))


def man_months(req: SupportRequest) -> float:
    hours = req.work_logs.aggregate(total=Sum("hours"))["total"] or 0
    return round(float(hours) / HOURS_PER_MAN_MONTH, 3)


def published_cases(q: str = "", field: str = "", region: str = "", support_type: str = "",
                    year: int | None = None) -> QuerySet[SolvedCase]:
    from clusterhub.core.queries import field_ids_with_descendants, region_q

    qs = SolvedCase.objects.published().select_related("region")
    if q:
        qs = qs.search(q)
    if field:
        qs = qs.filter(fields__in=field_ids_with_descendants(field)).distinct()
    if region:
        qs = qs.filter(region_q(region))
    if support_type:
        qs = qs.filter(support_type=support_type)
    if year:
        qs = qs.filter(year=year)
    return qs.prefetch_related("fields").order_by("-year", "external_id")


def similar_cases(case: SolvedCase, limit: int = 5) -> list[SolvedCase]:
    """Published cases sharing the most fields with this one (the matching engine refines this)."""
    field_ids = list(case.fields.values_list("pk", flat=True))
    if not field_ids:
        return []
    return list(SolvedCase.objects.published().exclude(pk=case.pk)
                .filter(fields__in=field_ids).annotate(shared=Count("fields"))
                .order_by("-shared", "-year", "pk")[:limit])
