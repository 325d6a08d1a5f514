"""Data for the live-server concurrency test, run inside `clusterhub shell` against the server's
database: two items open around the clock, four trained SME users; prints their tokens."""

import json
from datetime import time

from clusterhub.core.actions import create_token
from clusterhub.core.models import Organisation, Region
from clusterhub.equipment.models import Equipment, OpeningHours, Training
from clusterhub.testing import make_user

region = Region.objects.create(code="48", name="경상남도", short_name="경남", name_en="Gyeongsangnam-do")
site = Organisation.objects.create(external_id="live-tp", name="라이브테크노파크", kind="technopark",
                                   region=region)
firm = Organisation.objects.create(external_id="live-firm", name="(주)동시예약", kind="firm",
                                   region=region, sector="manufacturing", employees=40)
for wd in range(7):
    OpeningHours.objects.create(site=site, weekday=wd, opens=time(0), closes=time(23, 59))
items = [Equipment.objects.create(
    external_id=f"live-{i}", name=f"사출성형기 {i}", owner=site, site=site, classification="D0301",
    modes=["direct"], requires_approval=False, setup_minutes=5, cleanup_minutes=5, min_minutes=1,
    max_minutes=600) for i in range(2)]
tokens = []
for n in range(4):
    user = make_user(f"live{n}", "sme", firm)
    for item in items:
        Training.objects.create(user=user, equipment=item)
    tokens.append(create_token(None, user)[1])
print("TOKENS=" + json.dumps(tokens))
