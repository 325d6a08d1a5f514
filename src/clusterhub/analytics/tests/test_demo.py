"""The app's demo data: loads the seed records, indicators and programmes, once."""

from __future__ import annotations

import io
from typing import Any

from clusterhub.analytics import demo, kpi, typology
from clusterhub.analytics.models import InstituteYear, Programme


def test_populate_loads_once(reference: None, hub: Any) -> None:
    out = io.StringIO()
    demo.populate({"analyst": hub.analyst}, out)
    assert InstituteYear.objects.count() == 30 and Programme.objects.count() == 9
    assert kpi.compute(["kitech"], 2004, 2004).rows["kitech"][2004]["joint_rnd_projects"] == 262
    assert {r.cls for r in typology.classify(2004)} == {
        "industry_led", "self_sufficient", "selective_concentration", "rnd_centred"}
    demo.populate({"analyst": hub.analyst}, out)  # a second run changes nothing
    assert InstituteYear.objects.count() == 30
    assert "records" in out.getvalue()
