"""Directory pages: home, organisations, experts, clusters; the notification inbox."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .models import Cluster, Expert, Organisation, Region, TechField
from .queries import can_see_firm_figures, directory_experts, directory_organisations, hub_figures

PAGE_SIZE = 25


def _page(request: HttpRequest, qs: object) -> object:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]


def _filter_choices() -> dict[str, object]:
    return {
        "regions": Region.objects.all(),
        "fields": TechField.objects.filter(parent__parent__isnull=True)
        .exclude(parent__isnull=True).select_related("parent").order_by("parent_id", "name"),
        "kinds": Organisation.Kind.choices,
    }


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {
        "figures": hub_figures(),
        "clusters": Cluster.objects.select_related("region").order_by("name"),
    })


def organisation_list(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "").strip() for k in ("q", "kind", "region", "field")}
    qs = directory_organisations(q=params["q"], kind=params["kind"], region=params["region"],
                                 field=params["field"]).select_related("region", "parent")
    page = _page(request, qs)
    context = {"page": page, "params": params, **_filter_choices()}
    template = "core/_organisation_rows.html" if request.headers.get("HX-Request") \
        else "core/organisation_list.html"
    return render(request, template, context)


def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = (Organisation.objects.select_related("region", "parent").prefetch_related("fields")
           .filter(pk=pk).first())
    if org is None:
        raise Http404
    return render(request, "core/organisation_detail.html", {
        "org": org,
        "show_figures": org.kind == "firm" and can_see_firm_figures(request.user, org),
        "branches": org.branches.select_related("region").order_by("name"),
        "experts": org.experts.order_by("name"),
        "clusters": org.clusters.all(),
    })


def expert_list(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "").strip() for k in ("q", "field", "region")}
    page = _page(request, directory_experts(**params))
    context = {"page": page, "params": params, **_filter_choices()}
    template = "core/_expert_rows.html" if request.headers.get("HX-Request") \
        else "core/expert_list.html"
    return render(request, template, context)


def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expert = (Expert.objects.select_related("organisation", "organisation__region")
              .prefetch_related("fields").filter(pk=pk).first())
    if expert is None:
        raise Http404
    cases = expert.solved_cases.published().order_by("-year")[:10]  # type: ignore[attr-defined]
    return render(request, "core/expert_detail.html", {
        "expert": expert, "cases": cases,
        "show_contact": request.user.is_authenticated,
    })


def cluster_list(request: HttpRequest) -> HttpResponse:
    clusters = (Cluster.objects.select_related("region")
                .prefetch_related("strategic_industries", "institutes")
                .annotate(n_institutes=Count("institutes")).order_by("name"))
    return render(request, "core/cluster_list.html", {"clusters": clusters})


def cluster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cluster = (Cluster.objects.select_related("region")
               .prefetch_related("strategic_industries", "institutes").filter(pk=pk).first())
    if cluster is None:
        raise Http404
    support = (Organisation.objects.support_providers().filter(region=cluster.region)
               .select_related("parent").order_by("kind", "name"))
    firms = Organisation.objects.firms().filter(region=cluster.region).count()
    return render(request, "core/cluster_detail.html", {
        "cluster": cluster, "support": support, "firm_count": firms,
    })


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = list(request.user.notifications.all()[:100])  # type: ignore[union-attr]
    if request.method == "POST":
        request.user.notifications.filter(  # type: ignore[union-attr]
            read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "core/notifications.html", {"items": items})
