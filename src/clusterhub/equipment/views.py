"""Equipment pages. Thin: parse, authorise (queries' access helpers), call the action, respond."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusterhub.core.access import require_role
from clusterhub.core.actions import ActionRefused
from clusterhub.core.charts import bar_chart
from clusterhub.core.models import Region, role_of
from clusterhub.support.models import SupportRequest, SupportType
from clusterhub.support.queries import get_request_for_user

from . import actions, availability, ical, metrics
from .classification import label, majors
from .forms import BookingForm, CompleteForm, OutcomeForm, PhotoForm, ReasonForm
from .models import BookingStatus, Mode, Voucher
from .queries import (
    approval_queue,
    bookings_for,
    equipment_list,
    get_booking_for_user,
    get_equipment,
)

PAGE_SIZE = 25
HOURS = list(range(7, 22))  # rows of the week calendar (Seoul hours)


def index(request: HttpRequest) -> HttpResponse:
    """Search the registry by what a machine must do, region, class and use."""
    q = request.GET.get("q", "").strip()
    region = request.GET.get("region", "")
    cls = request.GET.get("class", "")
    mode = request.GET.get("mode", "")
    rows: Any = equipment_list("", region, cls, mode)
    if q:
        rows = _by_what_it_does(q, rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "equipment/index.html", {
        "page": page, "q": q, "region": region, "cls": cls, "mode": mode,
        "regions": Region.objects.all(), "majors": majors(), "modes": Mode.choices,
        "can_manage": role_of(request.user) in ("coordinator", "admin"),
        "can_see_dashboard": role_of(request.user) in ("coordinator", "admin", "analyst"),
    })


def _by_what_it_does(q: str, rows: Any, limit: int = 100) -> list[Any]:
    """Items ranked by the matching engine for a description of the job (Korean analysis,
    synonyms, fields), then those whose text holds every word, within the other filters."""
    from clusterhub.matching.engine import match

    ranked = [m.pk for m in match(q, kinds=("equipment",), limit=limit, public_only=True)]
    words = list(rows.search(q).values_list("pk", flat=True)[:limit])
    order = list(dict.fromkeys(ranked + words))
    found = {e.pk: e for e in rows.filter(pk__in=order)}
    return [found[pk] for pk in order if pk in found]


def _week_start(value: str | None) -> date:
    today = timezone.now().astimezone(availability.TZ).date()
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return day - timedelta(days=day.weekday())


def _week(item: Any, monday: date) -> dict[str, Any]:
    """The week as a grid: per Seoul hour and day, free / busy / closed."""
    start = datetime.combine(monday, datetime.min.time(), availability.TZ).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(),
                           availability.TZ).astimezone(UTC)
    cal = availability.calendar(item, start, end)
    days = [monday + timedelta(days=i) for i in range(7)]
    rows = []
    for hour in HOURS:
        cells = []
        for day in days:
            a = datetime(day.year, day.month, day.day, hour, tzinfo=availability.TZ)
            b = a + timedelta(hours=1)
            if any(x < b and a < y for x, y, _pk, _s in cal.busy):
                state = "busy"
            elif any(x <= a and b <= y for x, y in cal.free):
                state = "free"
            elif any(x < b and a < y for x, y in cal.free):
                state = "partly"
            else:
                state = "closed"
            cells.append({"state": state, "start": a})
        rows.append({"hour": hour, "cells": cells})
    return {"days": days, "rows": rows, "free": cal.free, "monday": monday,
            "prev": monday - timedelta(days=7), "next": monday + timedelta(days=7)}


def detail(request: HttpRequest, key: str) -> HttpResponse:
    item = get_equipment(key)
    week = _week(item, _week_start(request.GET.get("week")))
    trained = (request.user.is_authenticated
               and actions.is_trained(request.user, item))
    return render(request, "equipment/detail.html", {
        "item": item, "week": week, "classification": label(item.classification),
        "trained": trained, "manages": actions.manages(request.user, item),
        "can_book": role_of(request.user) in actions.BOOKER_ROLES,
        "photos": list(item.photos.all()), "photo_form": PhotoForm(),
    })


@login_required
@require_POST
def photo_upload(request: HttpRequest, key: str) -> HttpResponse:
    """Add a photo (owner or site staff; others get 404 as if the form were not there)."""
    item = get_equipment(key)
    if not actions.manages(request.user, item):
        raise Http404
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
        return redirect(item.get_absolute_url())
    upload = form.cleaned_data["photo"]
    if upload.size > settings.CLUSTERHUB_MAX_UPLOAD_BYTES:
        messages.error(request, _("The file is larger than %(mb)d MB.") % {
            "mb": settings.CLUSTERHUB_MAX_UPLOAD_BYTES // (1024 * 1024)})
        return redirect(item.get_absolute_url())
    try:
        actions.add_photo(request.user, item, upload.name, upload.read(),
                          form.cleaned_data.get("caption") or "")
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Photo added."))
    return redirect(item.get_absolute_url())


def photo(request: HttpRequest, key: str, pk: int) -> HttpResponseBase:
    """A photo of a listed item (the registry is public); 404 for missing or another item's."""
    item = get_equipment(key)
    shot = item.photos.filter(pk=pk).first()
    if shot is None:
        raise Http404
    path = Path(settings.MEDIA_ROOT) / shot.storage_path
    if not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=shot.content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def photo_remove(request: HttpRequest, key: str, pk: int) -> HttpResponse:
    item = get_equipment(key)
    shot = item.photos.filter(pk=pk).first()
    if shot is None or not actions.manages(request.user, item):
        raise Http404
    actions.remove_photo(request.user, shot)
    messages.success(request, _("Photo removed."))
    return redirect(item.get_absolute_url())


def _form_values(item: Any, form: BookingForm, user: Any) -> dict[str, Any]:
    data = form.cleaned_data
    voucher = None
    if data.get("voucher"):
        voucher = Voucher.objects.for_firm(getattr(user.profile, "organisation_id", None)).filter(
            code=data["voucher"]).first()
        if voucher is None:
            raise ActionRefused(_("Unknown voucher."), "voucher", code="invalid")
    values = {"mode": data["mode"], "purpose": data.get("purpose") or "",
              "samples": data.get("samples") or 0, "voucher": voucher}
    if data.get("support_request"):
        values["support_request"] = get_request_for_user(user, data["support_request"])
    return values


def _linkable_requests(user: Any) -> list[tuple[int, str]]:
    """The user's open support requests of type equipment use (a booking may link to one)."""
    rows = (SupportRequest.objects.for_user(user).open()
            .filter(support_type=SupportType.EQUIPMENT).order_by("-pk").values_list("pk", "title"))
    return [(pk, f"#{pk} {title}") for pk, title in rows[:50]]


@login_required
def book(request: HttpRequest, key: str) -> HttpResponse:
    require_role(request.user, *actions.BOOKER_ROLES)
    item = get_equipment(key)
    initial = {}
    if request.GET.get("start"):
        initial["start"] = request.GET["start"][:16]
    if request.GET.get("request", "").isdigit():
        initial["support_request"] = request.GET["request"]
    form = BookingForm(request.POST or None, modes=item.modes, initial=initial,
                       requests=_linkable_requests(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            values = _form_values(item, form, request.user)
            repeat = form.cleaned_data.get("repeat_weeks") or 1
            if repeat > 1:
                result = actions.request_series(
                    request.user, item, start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"], count=repeat, **values)
                for at, reason in result.skipped:
                    messages.warning(request, _("Skipped %(day)s: %(reason)s") % {
                        "day": at.astimezone(availability.TZ).strftime("%Y-%m-%d"),
                        "reason": reason})
                if not result.created:
                    raise ActionRefused(_("Nothing could be booked."), code="invalid")
                booking = result.created[0]
            else:
                booking = actions.request_booking(
                    request.user, item, start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"], **values)
        except ActionRefused as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Booked: %(status)s.") % {
                "status": BookingStatus(booking.status).label})
            return redirect(booking.get_absolute_url())
    return render(request, "equipment/book.html", {"item": item, "form": form})


@login_required
@require_POST
def check(request: HttpRequest, key: str) -> HttpResponse:
    """Live feedback for the booking form (htmx): conflict, rule broken, or the quote."""
    require_role(request.user, *actions.BOOKER_ROLES)
    item = get_equipment(key)
    form = BookingForm(request.POST, modes=item.modes, requests=_linkable_requests(request.user))
    context: dict[str, Any] = {"item": item}
    if not form.is_valid():
        context["problem"] = "; ".join(
            str(e) for errors in form.errors.values() for e in errors)
        return render(request, "equipment/_check.html", context)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        values = _form_values(item, form, request.user)
        actions.check_request(request.user, item, start, end, values["mode"],
                              voucher=values["voucher"], samples=values["samples"])
        other = actions.find_conflict(
            item, start - timedelta(minutes=item.setup_minutes),
            end + timedelta(minutes=item.cleanup_minutes))
        if other is not None:
            raise actions.BookingConflict(item, other)
    except ActionRefused as exc:
        context["problem"] = exc.message
        context["conflict"] = exc.code == "conflict"
    else:
        context["quote"] = actions.quote(
            item, start, end, values["mode"], samples=values["samples"],
            firm=getattr(request.user.profile, "organisation", None),  # type: ignore[union-attr]
            voucher=values["voucher"])
    return render(request, "equipment/_check.html", context)


@login_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    require_role(request.user)
    rows = bookings_for(request.user).filter(booked_by_id=request.user.pk)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    subscribe = request.build_absolute_uri(reverse("equipment:subscribed_feed", args=[
        request.user.pk, ical.feed_token(request.user)]))
    return render(request, "equipment/mine.html", {"page": page, "subscribe_url": subscribe})


def subscribed_feed(request: HttpRequest, user: int, token: str) -> HttpResponse:
    """A user's bookings for calendar apps, authorised by the secret in the URL."""
    owner = ical.user_for_feed(user, token)
    if owner is None:
        raise Http404
    return ical.response(ical.user_feed(owner), "bookings.ics")


@login_required
def my_feed(request: HttpRequest) -> HttpResponse:
    require_role(request.user)
    return ical.response(ical.user_feed(request.user), "bookings.ics")


def item_feed(request: HttpRequest, key: str) -> HttpResponse:
    item = get_equipment(key)
    return ical.response(ical.item_feed(item), f"{item.external_id}.ics")


@login_required
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user)
    booking = get_booking_for_user(request.user, pk)
    manages = actions.manages(request.user, booking.equipment)
    return render(request, "equipment/booking.html", {
        "b": booking, "manages": manages,
        "is_booker": actions._is_booker(request.user, booking),
        "complete_form": CompleteForm(), "reason_form": ReasonForm(),
        "outcome_form": OutcomeForm(),
    })


@login_required
@require_POST
def booking_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    require_role(request.user)
    booking = get_booking_for_user(request.user, pk)
    user = request.user
    try:
        if action == "confirm":
            actions.confirm(user, booking)
        elif action == "refuse":
            actions.refuse(user, booking, request.POST.get("reason", ""))
        elif action == "check_in":
            actions.check_in(user, booking)
        elif action == "complete":
            form = CompleteForm(request.POST)
            if not form.is_valid():
                raise ActionRefused(_("Give the actual hours."), "actual_hours", code="invalid")
            actions.complete(user, booking, form.cleaned_data["actual_hours"],
                             form.cleaned_data.get("outcome") or "")
        elif action == "no_show":
            actions.no_show(user, booking)
        elif action == "cancel":
            actions.cancel(user, booking, request.POST.get("reason", ""))
        elif action == "outcome":
            actions.record_outcome(user, booking, request.POST.get("outcome", ""))
        else:
            raise Http404
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    if request.POST.get("next") == "approvals":
        return redirect("equipment:approvals")
    return redirect("equipment:booking", pk=booking.pk)


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    require_role(request.user, "coordinator", "admin")
    rows = approval_queue(request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "equipment/approvals.html", {"page": page})


def _period(request: HttpRequest) -> tuple[datetime, datetime, date, date]:
    today = timezone.now().astimezone(availability.TZ).date()
    try:
        first = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first = (today.replace(day=1) - timedelta(days=90)).replace(day=1)
    try:
        last = date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        last = today
    if last <= first:
        last = first + timedelta(days=1)
    start = datetime.combine(first, datetime.min.time(), availability.TZ).astimezone(UTC)
    end = datetime.combine(last, datetime.min.time(), availability.TZ).astimezone(UTC)
    return start, end, first, last


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Utilisation per item, site, institute and region, idle items, the compensation owed.
    Coordinators see the items their organisation owns or runs; admins and analysts all."""
    role = require_role(request.user, "coordinator", "admin", "analyst")
    from .models import Equipment

    items = (Equipment.objects.listed() if role in ("admin", "analyst")
             else Equipment.objects.managed_by(request.user).exclude(status="retired"))
    start, end, first, last = _period(request)
    u = metrics.utilisation(start, end, items)

    def chart(title: str, uses: list[metrics.Use]) -> Any:
        top = uses[:20]
        return bar_chart(title, [x.label[:14] for x in top], [
            (_("Booked %"), [round(100 * x.booked_utilisation, 1)
                             if x.booked_utilisation is not None else None for x in top]),
            (_("Operating %"), [round(100 * x.operating_rate, 1)
                                if x.operating_rate is not None else None for x in top]),
        ], unit="%")

    by_rate = sorted(u.items, key=lambda x: x.operating_rate or 0)
    return render(request, "equipment/dashboard.html", {
        "u": u, "first": first, "last": last,
        "chart_items": chart(_("Least used items"), by_rate),
        "chart_sites": chart(_("By site"), u.by_site),
        "chart_owners": chart(_("By institute"), u.by_owner),
        "chart_regions": chart(_("By region"), u.by_region),
        "total": u.total.row(), "idle": [x.row() for x in u.idle],
        "items": [x.row() for x in u.items],
        "owners": [x.row() for x in u.by_owner],
        "sites": [x.row() for x in u.by_site],
        "regions": [x.row() for x in u.by_region],
    })
