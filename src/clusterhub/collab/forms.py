"""Forms of the collab pages (parsing only; the rules live in actions.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusterhub.core.models import Organisation

from .actions import stage_templates, workspace_firms
from .models import (
    ChangeOrigin,
    DocumentKind,
    Job,
    LogisticsEvent,
    MemberRole,
    Membership,
    Phase,
    Revision,
    Workspace,
)

DATE = forms.DateInput(attrs={"type": "date"})


def _firms(workspace: Workspace) -> Any:
    return Organisation.objects.filter(pk__in=[o.pk for o in workspace_firms(workspace)])


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    organisation = forms.ModelChoiceField(label=_("Firm"), queryset=Organisation.objects.none(),
                                          to_field_name="external_id",
                                          widget=forms.TextInput(),
                                          help_text=_("The firm's directory id."))
    role = forms.ChoiceField(label=_("Role"), choices=[c for c in MemberRole.choices
                                                       if c[0] != MemberRole.OWNER],
                             initial=MemberRole.MEMBER)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.firms()  # type: ignore[attr-defined]


class JobForm(forms.Form):
    code = forms.CharField(label=_("Job number"), max_length=40)
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of job"))
    supplier = forms.ModelChoiceField(label=_("Mould maker"), queryset=Organisation.objects.none())
    designer = forms.ModelChoiceField(label=_("Design firm"), queryset=Organisation.objects.none(),
                                      required=False)
    ordered_on = forms.DateField(label=_("Order date"), widget=DATE)
    due_on = forms.DateField(label=_("Agreed delivery date"), widget=DATE)

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        firms = _firms(workspace)
        self.fields["supplier"].queryset = firms  # type: ignore[attr-defined]
        self.fields["designer"].queryset = firms  # type: ignore[attr-defined]
        self.fields["kind"].choices = [(k, v["name"]) for k, v in stage_templates().items()]  # type: ignore[attr-defined]
        self.fields["ordered_on"].initial = timezone.localdate()


class StageDateForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class StageCloseForm(StageDateForm):
    evidence_revision = forms.ModelChoiceField(label=_("Evidence file"),
                                               queryset=Revision.objects.none(), required=False)
    evidence_record = forms.CharField(label=_("Evidence record"), max_length=300, required=False,
                                      help_text=_("Certificate number, report reference…"))

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence_revision"].queryset = (  # type: ignore[attr-defined]
            Revision.objects.filter(document__workspace=workspace, iterations__isnull=False)
            .distinct().select_related("document").order_by("document__number", "index"))


class WaitForm(forms.Form):
    started_on = forms.DateField(label=_("From"), widget=DATE)
    ended_on = forms.DateField(label=_("Until"), widget=DATE)
    reason = forms.CharField(label=_("Waiting for"), max_length=200)


class LogisticsForm(forms.Form):
    kind = forms.ChoiceField(label=_("Event"), choices=LogisticsEvent.Kind.choices)
    on = forms.DateField(label=_("Date"), widget=DATE)
    carrier = forms.CharField(label=_("Carrier"), max_length=100, required=False)
    tracking = forms.CharField(label=_("Tracking number"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DocumentForm(forms.Form):
    number = forms.CharField(label=_("Document number"), max_length=60)
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    job = forms.ModelChoiceField(label=_("Job"), queryset=Job.objects.none(), required=False)
    distribution = forms.ModelMultipleChoiceField(
        label=_("Distribution list"), queryset=Organisation.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["job"].queryset = workspace.jobs.order_by("code")  # type: ignore[attr-defined]
        self.fields["distribution"].queryset = _firms(workspace)  # type: ignore[attr-defined]


class DistributionForm(forms.Form):
    distribution = forms.ModelMultipleChoiceField(
        label=_("Distribution list"), queryset=Organisation.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["distribution"].queryset = _firms(workspace)  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ChangeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}))
    origin = forms.ChoiceField(label=_("Origin"), choices=ChangeOrigin.choices)
    documents = forms.ModelMultipleChoiceField(label=_("Affected documents"),
                                               queryset=Job.objects.none(), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    jobs = forms.ModelMultipleChoiceField(label=_("Affected jobs"), queryset=Job.objects.none(),
                                          required=False, widget=forms.CheckboxSelectMultiple)
    cost_krw = forms.DecimalField(label=_("Cost impact (KRW)"), max_digits=14, decimal_places=0,
                                  initial=0)
    days = forms.IntegerField(label=_("Schedule impact (days)"), initial=0, min_value=-365,
                              max_value=365)
    steel_safe = forms.BooleanField(label=_("Steel-safe (removes steel only)"), required=False,
                                    initial=True)
    phase = forms.ChoiceField(label=_("Phase"), required=False,
                              choices=[("", _("From the jobs' progress")), *Phase.choices])
    approvers = forms.ModelMultipleChoiceField(
        label=_("Further approvers"), queryset=Organisation.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The lead firm and the affected jobs' mould makers always approve."))

    def __init__(self, membership: Membership, *args: Any, **kwargs: Any) -> None:
        from .queries import documents_for, jobs_for

        super().__init__(*args, **kwargs)
        ws = membership.workspace
        self.fields["documents"].queryset = documents_for(membership).order_by("number")  # type: ignore[attr-defined]
        self.fields["jobs"].queryset = jobs_for(membership).order_by("code")  # type: ignore[attr-defined]
        self.fields["approvers"].queryset = _firms(ws)  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"),
                                 choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), max_length=300, required=False)


class KpiForm(forms.Form):
    start = forms.DateField(label=_("Current period from"), widget=DATE, required=False)
    end = forms.DateField(label=_("to"), widget=DATE, required=False)
    baseline_start = forms.DateField(label=_("Baseline from"), widget=DATE, required=False)
    baseline_end = forms.DateField(label=_("to"), widget=DATE, required=False)
    firm = forms.ModelChoiceField(label=_("Firm"), queryset=Organisation.objects.none(),
                                  required=False)

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["firm"].queryset = _firms(workspace)  # type: ignore[attr-defined]
