"""The fixture world builds through the actions, and what it builds is what the tests rely on."""

from __future__ import annotations

from typing import Any


def test_world(world: Any) -> None:
    assert world.rev_a.letter == "A" and world.rev_a.state == "released"
    assert sorted(r.organisation.external_id for r in world.rev_a.receipts.all()) == [
        "f-a", "fourth"]
    assert world.job.stages.count() == 15
    assert world.ws.memberships.count() == 6
