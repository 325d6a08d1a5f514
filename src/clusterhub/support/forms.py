"""Forms of the support desk pages (parsing only; rules live in actions.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusterhub.core.models import Expert, Organisation, Region, TechField

from .models import Outcome, SupportType, Urgency, WorkLog


def _field_choices() -> Any:
    return TechField.objects.exclude(parent__isnull=True).select_related("parent") \
        .order_by("parent__parent_id", "parent_id", "name")


class RequestForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What do you need?"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Describe the problem in your own words: part, material, symptoms, numbers."),
    )
    support_type = forms.ChoiceField(label=_("Support type"), choices=SupportType.choices)
    fields = forms.ModelMultipleChoiceField(  # type: ignore[assignment]
        label=_("Technology fields"), queryset=TechField.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.all())
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices,
                                initial=Urgency.NORMAL)
    consent_publish = forms.BooleanField(
        label=_("The solution may be published, anonymised, in the knowledge base"),
        required=False,
    )
    attachment = forms.FileField(label=_("Attachment (photo, drawing, PDF)"), required=False)

    def __init__(self, *args: Any, suggest_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fields"].queryset = _field_choices()  # type: ignore[index]
        if suggest_url:
            # Live suggestions as the SME types (htmx; matching.views.intake_suggest).
            live = {"hx-post": suggest_url, "hx-trigger": "keyup changed delay:500ms",
                    "hx-target": "#intake-suggestions", "hx-sync": "closest form:replace",
                    "hx-params": "title,description,region,fields"}
            for name in ("title", "description"):
                self.fields[name].widget.attrs.update(live)  # type: ignore[index]


class TriageForm(forms.Form):
    support_type = forms.ChoiceField(label=_("Support type"), choices=SupportType.choices)
    fields = forms.ModelMultipleChoiceField(  # type: ignore[assignment]
        label=_("Technology fields"), queryset=TechField.objects.none(), required=False)
    routed_to = forms.ModelChoiceField(
        label=_("Route to"), required=False,
        queryset=Organisation.objects.exclude(kind="firm").order_by("name"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fields"].queryset = _field_choices()  # type: ignore[index]


class AssignForm(forms.Form):
    experts = forms.ModelMultipleChoiceField(label=_("Experts"), queryset=Expert.objects.none())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, candidates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = (  # type: ignore[attr-defined]
            candidates if candidates is not None else Expert.objects.all()
        )


class PlanForm(forms.Form):
    plan = forms.CharField(label=_("Solution plan"), widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WorkLogForm(forms.Form):
    date = forms.DateField(label=_("Date"), initial=timezone.localdate,
                           widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(label=_("Hours"), min_value=0.1, max_value=24, decimal_places=1)
    kind = forms.ChoiceField(label=_("Kind"), choices=WorkLog.Kind.choices)
    note = forms.CharField(label=_("Note"), required=False)


class ResolveForm(forms.Form):
    solution_summary = forms.CharField(label=_("Solution summary"),
                                       widget=forms.Textarea(attrs={"rows": 4}))


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = Outcome
        fields = ["satisfaction", "defect_rate_before_pct", "defect_rate_after_pct",
                  "lead_time_before_days", "lead_time_after_days", "cost_saved_mkrw",
                  "sales_increase_mkrw", "new_product", "comment"]
        widgets = {
            "satisfaction": forms.Select(choices=[(i, str(i)) for i in range(5, 0, -1)]),
            "comment": forms.Textarea(attrs={"rows": 2}),
        }


class FollowUpForm(forms.Form):
    answer = forms.CharField(label=_("How do things stand now?"),
                             widget=forms.Textarea(attrs={"rows": 2}))
