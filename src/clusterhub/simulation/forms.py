"""Forms of the simulation pages (typed input; the action checks the rest)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clusterhub.core.models import Organisation
from clusterhub.support.models import SupportRequest

from . import service
from .models import Geometry


class RunForm(forms.Form):
    title = forms.CharField(label=_("Product"), max_length=200)
    geometry = forms.ChoiceField(label=_("Geometry"), choices=Geometry.choices, initial="box")
    stl = forms.FileField(label=_("STL file (binary or ASCII, mm)"), required=False)
    dim_x = forms.FloatField(label=_("Length / diameter (mm)"), required=False, initial=60)
    dim_y = forms.FloatField(label=_("Width (mm, box)"), required=False, initial=40)
    dim_z = forms.FloatField(label=_("Height (mm, box and cylinder)"), required=False, initial=20)
    riser = forms.BooleanField(label=_("Add a riser on top"), required=False)
    alloy = forms.ChoiceField(label=_("Alloy"))
    mould = forms.ChoiceField(label=_("Mould"))
    pouring_temperature = forms.FloatField(label=_("Pouring temperature (°C)"), initial=700)
    mesh_mm = forms.FloatField(label=_("Cell size (mm)"), initial=4, min_value=service.MIN_MESH_MM,
                               max_value=service.MAX_MESH_MM)
    organisation = forms.ModelChoiceField(label=_("Foundry"), queryset=Organisation.objects.none(),
                                          required=False)
    support_request = forms.ModelChoiceField(label=_("Support case (optional)"),
                                             queryset=SupportRequest.objects.none(), required=False)

    def __init__(self, *args: Any, firms: Any, requests: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["alloy"].choices = [  # type: ignore[attr-defined]
            (k, service.material_label(k)) for k in service.alloys()]
        self.fields["mould"].choices = [  # type: ignore[attr-defined]
            (k, service.material_label(k)) for k in service.moulds()]
        self.fields["support_request"].queryset = requests  # type: ignore[attr-defined]
        if firms is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = firms  # type: ignore[attr-defined]


class AttachForm(forms.Form):
    support_request = forms.ModelChoiceField(label=_("Support case"),
                                             queryset=SupportRequest.objects.none())

    def __init__(self, *args: Any, requests: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["support_request"].queryset = requests  # type: ignore[attr-defined]
