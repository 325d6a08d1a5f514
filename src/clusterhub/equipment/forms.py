"""Forms of the equipment pages (times are entered in Asia/Seoul local time)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .availability import TZ
from .models import Mode

LOCAL = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read as Seoul wall-clock time."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL)
    input_formats = [LOCAL, "%Y-%m-%d %H:%M"]

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        return result.replace(tzinfo=None).replace(tzinfo=TZ)


class BookingForm(forms.Form):
    start = LocalDateTimeField(label=_("Start (Seoul time)"))
    end = LocalDateTimeField(label=_("End (Seoul time)"))
    mode = forms.ChoiceField(label=_("Use"), choices=Mode.choices)
    samples = forms.IntegerField(label=_("Samples"), min_value=0, max_value=10000, initial=0,
                                 required=False)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}),
                              required=False, max_length=4000)
    repeat_weeks = forms.IntegerField(label=_("Repeat weekly (times)"), min_value=1,
                                      max_value=52, initial=1, required=False)
    voucher = forms.CharField(label=_("Voucher code"), required=False, max_length=40)
    support_request = forms.TypedChoiceField(
        label=_("Support request (equipment use)"), required=False, coerce=int, empty_value=None,
        help_text=_("Link the booking to your firm's open support request of type equipment use."))

    def __init__(self, *args: Any, modes: list[str] | None = None,
                 requests: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        linkable = self.fields["support_request"]
        assert isinstance(linkable, forms.TypedChoiceField)
        linkable.choices = [("", "—"), *(requests or [])]
        if modes:
            field = self.fields["mode"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(m, Mode(m).label) for m in modes if m in Mode.values]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class CompleteForm(forms.Form):
    actual_hours = forms.DecimalField(label=_("Actual hours"), min_value=Decimal(0),
                                      max_digits=7, decimal_places=2)
    outcome = forms.CharField(label=_("Outcome"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class OutcomeForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2}))


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo (PNG, JPEG, WebP)"))
    caption = forms.CharField(label=_("Caption"), required=False, max_length=200)
