"""Analytics pages. Thin: parse, authorise (analysts, coordinators and admins; everyone else
gets a 404 as for any page that is not theirs), compute through the app's modules, respond."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusterhub.core import charts, tabular
from clusterhub.core.access import require_role
from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import Organisation, Region

from . import actions, incentives, kpi, network, programmes, typology
from .access import kpi_scope
from .models import IncentiveRun, Programme
from .reports import kpi_table

READERS = ("analyst", "coordinator", "admin")


def _reader(request: HttpRequest) -> str:
    return require_role(request.user, *READERS)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest) -> tuple[int | None, int | None]:
    return _int(request.GET.get("from")), _int(request.GET.get("to"))


def _kpi_scope(request: HttpRequest) -> list[str] | None:
    return kpi_scope(request.user)


def _query_without_format(request: HttpRequest) -> str:
    """The page's own filters, for its download links (each adds its `format`)."""
    query = request.GET.copy()
    query.pop("format", None)
    return query.urlencode()


@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = _kpi_scope(request)
    return render(request, "analytics/index.html", {"kpi_only": scope is not None})


def seed_rows(result: kpi.KpiResult, inst: str, years: list[int]) -> list[dict[str, Any]]:
    """The seed's table for one institute: one row per metric, one cell per year."""
    per = result.rows.get(inst, {})
    rows = []
    previous = None
    for m in kpi.METRICS:
        rows.append({"metric": m, "group": m.group if m.group != previous else None,
                     "cells": [per.get(y, {}).get(m.key) for y in years]})
        previous = m.group
    return rows


@login_required
def kpi_page(request: HttpRequest) -> HttpResponse:
    scope = _kpi_scope(request)
    year_from, year_to = _filters(request)
    result = kpi.compute(scope, year_from, year_to)
    institutions = sorted(result.rows, key=lambda i: result.names.get(i, i))
    inst = request.GET.get("institution") or (institutions[0] if institutions else "")
    if inst and inst not in result.rows:
        raise Http404
    years = sorted(result.rows.get(inst, {}))
    rows = seed_rows(result, inst, years) if inst else []
    chart = ""
    if inst:
        per = result.rows[inst]
        chart = charts.line_chart(
            _("Joint R&D and guidance of %(name)s") % {"name": result.names.get(inst, inst)},
            [str(y) for y in years],
            [(str(kpi.METRICS[0].label), [per[y]["joint_rnd_projects"] for y in years]),
             (str(kpi.METRICS[8].label), [per[y]["transfers"] for y in years]),
             (str(kpi.METRICS[11].label), [per[y]["guidance_firms"] for y in years])])
    return render(request, "analytics/kpi.html", {
        "institutions": [(i, result.names.get(i, i)) for i in institutions], "inst": inst,
        "name": result.names.get(inst, inst), "years": years, "rows": rows, "chart": chart,
        "year_from": year_from or "", "year_to": year_to or "",
    })


@login_required
def kpi_compare(request: HttpRequest) -> HttpResponse:
    _reader(request)
    year_from, year_to = _filters(request)
    metric_key = request.GET.get("metric") or kpi.METRIC_KEYS[0]
    if metric_key not in kpi.METRIC_KEYS:
        raise Http404
    metric = kpi.METRICS[kpi.METRIC_KEYS.index(metric_key)]
    result = kpi.compute(None, year_from, year_to)
    years = result.years()
    institutions = sorted(result.rows, key=lambda i: result.names.get(i, i))
    table: list[dict[str, Any]] = [
        {"inst": i, "name": result.names.get(i, i),
         "cells": [result.rows[i].get(y, {}).get(metric_key) for y in years]}
        for i in institutions]
    totals = result.totals()
    total_row = [totals[y]["values"][metric_key] for y in years]
    missing = [(y, [result.names.get(i, i) for i in totals[y]["missing"].get(metric_key, [])])
               for y in years]
    chart = charts.bar_chart(str(metric.label), [str(y) for y in years],
                             [(str(row["name"]), row["cells"]) for row in table[:8]],
                             unit=_("M KRW") if metric.is_amount else "")
    return render(request, "analytics/kpi_compare.html", {
        "metrics": kpi.METRICS, "metric": metric, "years": years, "table": table,
        "total_row": total_row, "missing": [(y, names) for y, names in missing if names],
        "chart": chart, "year_from": year_from or "", "year_to": year_to or "",
    })


@login_required
def kpi_download(request: HttpRequest, fmt: str) -> HttpResponse:
    scope = _kpi_scope(request)
    year_from, year_to = _filters(request)
    inst = request.GET.get("institution") or None
    if inst and scope is not None and inst not in scope:
        raise Http404
    try:
        result = kpi.compute([inst] if inst else scope, year_from, year_to)
    except ValueError:
        raise Http404 from None
    if fmt == "pdf":
        return tabular.download(_kpi_pdf(result), "kpi", "pdf")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    return tabular.download(tabular.render(kpi_table(result), fmt), "kpi", fmt)


def _kpi_pdf(result: kpi.KpiResult) -> bytes:
    from clusterhub.core.pdf import PdfDocument

    doc = PdfDocument(_("Institute KPI report"),
                      _("SME support per institute and year (seed Tables 4-2 to 4-7); "
                        "amounts in million KRW; '-' = not reported."), landscape=True)
    for inst in sorted(result.rows, key=lambda i: result.names.get(i, i)):
        years = sorted(result.rows[inst])
        doc.heading(f"{result.names.get(inst, inst)} ({inst})")
        doc.table([_("Item")] + [str(y) for y in years],
                  [[str(r["metric"].label)] + r["cells"] for r in seed_rows(result, inst, years)])
    totals = result.totals()
    if totals:
        years = sorted(totals)
        doc.heading(_("Totals per year"))
        doc.table([_("Item")] + [str(y) for y in years],
                  [[str(m.label)] + [totals[y]["values"][m.key] for y in years]
                   for m in kpi.METRICS])
        for y in years:
            gaps = [f"{m.label}: {', '.join(result.names.get(i, i) for i in insts)}"
                    for m in kpi.METRICS if (insts := totals[y]["missing"].get(m.key))]
            if gaps:
                doc.paragraph(f"{y} — {_('not reported')}: " + "; ".join(gaps), small=True)
    return doc.render()


def _period(request: HttpRequest) -> str:
    from django.utils import timezone

    return request.GET.get("period") or str(timezone.localdate().year)


def _localised_rules() -> list[dict[str, Any]]:
    """The scheme's rules with their Korean label and explanation on Korean pages (the data
    file's `label_ko` / `explain_ko`; a rule without them keeps its own words)."""
    is_ko = (translation.get_language() or "").startswith("ko")
    rules = []
    for rule in incentives.scheme()["rules"]:
        r = dict(rule)
        if is_ko:
            r["label"] = rule.get("label_ko") or rule["label"]
            r["explain"] = rule.get("explain_ko") or rule.get("explain")
        rules.append(r)
    return rules


@login_required
def incentives_page(request: HttpRequest) -> HttpResponse:
    role = _reader(request)
    period = _period(request)
    try:
        incentives.period_bounds(period)
    except ValueError:
        raise Http404 from None
    centre = _int(request.GET.get("centre"))
    lines = incentives.ledger(period)
    if centre:
        lines = lines.filter(centre_id=centre)
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    run = IncentiveRun.objects.filter(period=period).select_related("computed_by").first()
    return render(request, "analytics/incentives.html", {
        "period": period, "run": run, "page": page, "centre": centre,
        "by_institute": incentives.totals(period, "institute"),
        "by_centre": incentives.totals(period, "centre"),
        "by_expert": incentives.totals(period, "expert"),
        "rules": _localised_rules(), "can_recompute": role in actions.RECOMPUTERS,
    })


@login_required
@require_POST
def incentives_recompute(request: HttpRequest) -> HttpResponse:
    _reader(request)
    period = request.POST.get("period", "")
    try:
        run = actions.recompute_incentives(request.user, period)
    except ActionRefused as exc:
        if exc.code == "forbidden":
            raise Http404 from None
        messages.error(request, exc.message)
        return redirect("analytics:incentives")
    messages.success(request, _("Recomputed %(period)s: %(cases)s cases, %(points)s points.")
                     % {"period": run.period, "cases": run.cases, "points": run.points})
    return redirect(f"{reverse('analytics:incentives')}?period={run.period}")


@login_required
def incentives_download(request: HttpRequest, fmt: str) -> HttpResponse:
    _reader(request)
    period = _period(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    columns = [("case", _("Case")), ("title", _("Title")), ("closed", _("Closed")),
               ("rule", _("Rule")), ("basis", _("Outcome")), ("points", _("Points")),
               ("expert", _("Expert")), ("centre", _("Centre")), ("institute", _("Institute"))]
    rows = [{"case": ln.request_id, "title": ln.request.title,
             "closed": ln.request.closed_at.date() if ln.request.closed_at else None,
             "rule": ln.rule, "basis": ln.basis, "points": ln.points,
             "expert": ln.expert.name, "centre": ln.centre.name, "institute": ln.institute.name}
            for ln in incentives.ledger(period)]
    table = tabular.Table(columns=[(k, str(v)) for k, v in columns], rows=rows,
                          title=f"incentives {period}")
    return tabular.download(tabular.render(table, fmt), f"incentives-{period}", fmt)


@login_required
def typology_page(request: HttpRequest) -> HttpResponse:
    _reader(request)
    cfg = typology.config()
    available = typology.years()
    year = _int(request.GET.get("year")) or (available[-1] if available else None)
    weights: dict[str, float] = {}
    for key in cfg["indicators"]:
        raw = request.GET.get(f"w_{key}")
        if raw:
            try:
                weights[key] = max(0.0, float(raw))
            except ValueError:
                messages.error(request, _("A weight is a number: %(key)s") % {"key": key})
    try:
        threshold = float(request.GET.get("threshold") or cfg["threshold"])
    except ValueError:
        threshold = float(cfg["threshold"])
    results = typology.classify(year, weights, threshold) if year else []
    classes = cfg["classes"]
    is_ko = (translation.get_language() or "").startswith("ko")
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        table = tabular.Table(
            columns=[("id", _("Id")), ("name", _("Region")),
                     ("industry", _("Industrial index")), ("st", _("S&T index")),
                     ("class", _("Class")), ("instruments", _("Recommended instruments"))],
            rows=[{"id": r.id, "name": r.name, "industry": round(r.industry, 4),
                   "st": round(r.st, 4),
                   "class": r.cls_info["name"] if is_ko else r.cls_info["name_en"],
                   "instruments": "; ".join(r.cls_info["instruments"])} for r in results],
            title=f"typology {year or ''}".strip())
        return tabular.download(tabular.render(table, fmt), f"typology-{year or ''}", fmt)
    if fmt:
        raise Http404
    labels = {k: v["name"] if is_ko else v["name_en"]
              for k, v in classes.items()}
    order = ["industry_led", "self_sufficient", "selective_concentration", "rnd_centred"]
    # Log scale: the capital region's indices (5-9) would squash every other region.
    floor = 0.01
    chart = charts.scatter_chart(
        _("Regional typology (seed Fig 5-1)"),
        [(r.name, math.log2(max(r.st, floor)), math.log2(max(r.industry, floor)))
         for r in results],
        x_label=_("S&T development index (log2)"),
        y_label=_("Industrial development index (log2)"),
        x_split=math.log2(max(threshold, floor)), y_split=math.log2(max(threshold, floor)),
        quadrant_labels=[labels[k] for k in order],
    ) if results else ""
    names = {r.code: r.name for r in Region.objects.all()}
    korea = typology.map_svg(typology.region_classes(results), names,
                             {**labels, "_title": _("Map of the regional classes")})
    return render(request, "analytics/typology.html", {
        "year": year, "years": available, "results": results, "chart": chart, "map": korea,
        "classes": [(k, classes[k], labels[k], typology.CLASS_COLOURS[k]) for k in order],
        "indicators": [(k, v, weights.get(k, v["weight"])) for k, v in cfg["indicators"].items()],
        "threshold": threshold, "labels": labels, "cfg": cfg, "is_ko": is_ko,
        "query": _query_without_format(request),
    })


@login_required
def programmes_page(request: HttpRequest) -> HttpResponse:
    from .api import organisation_for

    role = require_role(request.user)
    if role not in (*READERS, "sme"):
        raise Http404
    org_id = request.GET.get("organisation", "").strip()
    budget_raw = request.GET.get("budget", "").strip()
    fits, org, error = None, None, ""
    if budget_raw or (org_id and role != "sme"):
        try:
            budget = Decimal(budget_raw)
            if budget <= 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            error = _("Give the planned budget in million KRW (a positive number).")
        else:
            try:
                org = organisation_for(request.user, org_id)
            except Http404:
                error = _("Unknown organisation id: %(id)s") % {"id": org_id}
            else:
                fits = programmes.fit(org, budget)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        columns = [("external_id", _("Id")), ("name", _("Programme")), ("target", _("Target")),
                   ("size", _("Size")), ("funding", _("Funding")), ("content", _("Content")),
                   ("gov_share", _("Government share")), ("local_share", _("Local share")),
                   ("private_share", _("Firm share")),
                   ("public_cap_mkrw", _("Public cap (M KRW)")), ("source", _("Source"))]
        table = tabular.Table(
            columns=columns,
            rows=list(Programme.objects.values(*[k for k, _label in columns])),
            title=_("Programme catalogue"))
        return tabular.download(tabular.render(table, fmt), "programmes", fmt)
    if fmt:
        raise Http404
    return render(request, "analytics/programmes.html", {
        "catalogue": Programme.objects.all(), "fits": fits, "org": org, "org_id": org_id,
        "budget": budget_raw, "error": error, "is_sme": role == "sme",
    })


@login_required
def network_page(request: HttpRequest) -> HttpResponse:
    _reader(request)
    year_to = _int(request.GET.get("to"))
    g = network.build(year_to)
    ind = network.indicators(g)
    rows = network.growth(g)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        growth = tabular.Table(
            columns=[("year", _("Year")), ("nodes", _("Nodes")), ("edges", _("Links")),
                     ("density", _("Density")), ("components", _("Components"))],
            rows=rows, title=_("Growth per year"))
        if fmt == "csv":
            return tabular.download(tabular.to_csv(growth), "network-growth", fmt)
        ranked = [tabular.Table(columns=[("rank", "#"), ("name", _("Name")), ("value", title)],
                                rows=[{"rank": i, "name": n, "value": v}
                                      for i, (n, v) in enumerate(pairs, 1)], title=title)
                  for title, pairs in [(_("Brokers (betweenness)"), ind.brokers),
                                       (_("Most connected (degree centrality)"), ind.central)]]
        return tabular.download(tabular.to_xlsx(growth, *ranked), "network", fmt)
    if fmt:
        raise Http404
    chart = charts.line_chart(
        _("Growth of the collaboration network"), [str(r["year"]) for r in rows],
        [(_("Organisations and experts"), [r["nodes"] for r in rows]),
         (_("Links"), [r["edges"] for r in rows])]) if rows else ""
    return render(request, "analytics/network.html", {
        "ind": ind, "growth": rows, "chart": chart, "year_to": year_to or "",
        "query": _query_without_format(request)})


@login_required
def support_regions(request: HttpRequest) -> HttpResponse:
    _reader(request)
    year_from, year_to = _filters(request)
    centre_id = request.GET.get("centre", "")
    centre = (Organisation.objects.support_providers().filter(external_id=centre_id).first()
              if centre_id else None)
    if centre_id and centre is None:
        raise Http404
    rows = kpi.support_by_region(year_from, year_to, centre.pk if centre else None)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        table = tabular.Table(
            columns=[("closed_year", _("Year")), ("region__name", _("Region")),
                     ("firms", _("Firms")), ("cases", _("Cases"))],
            rows=rows, title="support by region")
        return tabular.download(tabular.render(table, fmt), "support-by-region", fmt)
    if fmt:
        raise Http404
    years = sorted({r["closed_year"] for r in rows})
    totals = {y: (sum(r["firms"] for r in rows if r["closed_year"] == y),
                  sum(r["cases"] for r in rows if r["closed_year"] == y)) for y in years}
    return render(request, "analytics/support_regions.html", {
        "query": _query_without_format(request),
        "rows": rows, "years": years, "totals": totals, "centre": centre,
        "centre_id": centre_id, "year_from": year_from or "", "year_to": year_to or ""})
