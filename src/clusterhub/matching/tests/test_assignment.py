"""Assignment proposals: the min-cost flow against brute force, and proposals and confirmation
over the database (capacity, conflicts of interest, all-or-nothing)."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from clusterhub.core.models import Organisation
from clusterhub.matching import assignment
from clusterhub.matching.assignment import (
    MinCostFlow,
    ProposalRefused,
    confirm,
    free_places,
    optimal_assignment,
    propose,
)
from clusterhub.support import actions
from clusterhub.support.models import Assignment, RequestEvent, Status, SupportRequest
from clusterhub.testing import ExpertFactory, FirmFactory, make_user, new_request


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# --- the algorithm ------------------------------------------------------------------------------


def brute_force(scores: dict[tuple[int, int], float], capacity: dict[int, int]) -> float:
    requests = sorted({r for r, _e in scores})
    options = [[None] + sorted(e for (r2, e) in scores if r2 == r) for r in requests]
    best = 0.0
    for choice in itertools.product(*options):
        used: dict[int, int] = {}
        total = 0.0
        for r, e in zip(requests, choice, strict=True):
            if e is None:
                continue
            used[e] = used.get(e, 0) + 1
            total += scores[(r, e)]
        if all(n <= capacity.get(e, 0) for e, n in used.items()):
            best = max(best, total)
    return best


def check_feasible(result: dict[int, int], scores: dict[tuple[int, int], float],
                   capacity: dict[int, int]) -> float:
    used: dict[int, int] = {}
    for r, e in result.items():
        assert (r, e) in scores, "only allowed pairs (conflicts are never in `scores`)"
        assert scores[(r, e)] > 0
        used[e] = used.get(e, 0) + 1
    for e, n in used.items():
        assert n <= capacity[e], f"expert {e} over capacity"
    return sum(scores[(r, e)] for r, e in result.items())


def random_instance(rng: random.Random, n_req: int, n_exp: int, density: float
                    ) -> tuple[dict[tuple[int, int], float], dict[int, int]]:
    scores = {}
    for r in range(n_req):
        for e in range(n_exp):
            if rng.random() < density:  # a missing pair is a conflict of interest
                scores[(r, e)] = round(rng.choice([rng.random(), rng.random(), -0.1, 0.0]), 3)
    capacity = {e: rng.choice([0, 1, 1, 2, 3]) for e in range(n_exp)}
    return scores, capacity


@pytest.mark.parametrize("seed", range(150))
def test_optimal_against_brute_force(seed):
    rng = random.Random(seed)
    scores, capacity = random_instance(rng, rng.randint(1, 6), rng.randint(1, 4),
                                       rng.choice([0.5, 0.8, 1.0]))
    result = optimal_assignment(scores, capacity)
    total = check_feasible(result, scores, capacity)
    assert total == pytest.approx(brute_force(scores, capacity), abs=1e-6)


def test_a_greedy_choice_is_not_optimal_but_the_flow_is():
    # Greedy gives r1 the best expert A (0.9) and leaves r2 with nothing: 0.9. Optimal: 0.8+0.7.
    scores = {("r1", "A"): 0.9, ("r1", "B"): 0.8, ("r2", "A"): 0.7}
    assert optimal_assignment(scores, {"A": 1, "B": 1}) == {"r1": "B", "r2": "A"}


def test_capacity_is_respected_and_used():
    scores = {(r, "A"): 0.9 for r in range(5)} | {(r, "B"): 0.1 for r in range(5)}
    result = optimal_assignment(scores, {"A": 3, "B": 1})
    assert sorted(result.values()) == ["A", "A", "A", "B"]


def test_experts_without_places_and_worthless_pairs_are_left_out():
    scores = {(1, "A"): 0.9, (2, "B"): 0.0, (3, "C"): -0.2, (4, "D"): 0.5}
    assert optimal_assignment(scores, {"A": 0, "B": 5, "C": 5, "D": 1}) == {4: "D"}
    assert optimal_assignment({}, {}) == {}


def test_min_cost_flow_fixed_amount():
    # Two units from 0 to 3 over two paths of costs 2 and 5 (capacity 1 each), and one of 9.
    mcf = MinCostFlow(4)
    mcf.add_edge(0, 1, 1, 1)
    mcf.add_edge(1, 3, 1, 1)
    mcf.add_edge(0, 2, 2, 2)
    mcf.add_edge(2, 3, 1, 3)
    mcf.add_edge(2, 3, 1, 7)
    assert mcf.solve(0, 3, 2, only_improving=False) == (2, 7)
    mcf2 = MinCostFlow(4)
    for u, v, cap, cost in [(0, 1, 1, 1), (1, 3, 1, 1), (0, 2, 2, 2), (2, 3, 1, 3), (2, 3, 1, 7)]:
        mcf2.add_edge(u, v, cap, cost)
    assert mcf2.solve(0, 3, only_improving=False) == (3, 16)


def test_batch_of_a_hundred_by_two_hundred_is_feasible():
    # Its speed (about 0.1 s) is a benchmark matter, not a test's.
    rng = random.Random(7)
    scores = {(r, e): rng.random() for r in range(100) for e in rng.sample(range(200), 15)}
    capacity = {e: rng.randint(0, 3) for e in range(200)}
    result = optimal_assignment(scores, capacity)
    check_feasible(result, scores, capacity)
    assert len(result) == min(100, sum(capacity.values()))


def test_matches_scipy_on_larger_instances():
    import numpy as np
    from scipy import optimize
    for seed in range(5):
        rng = random.Random(seed)
        scores, capacity = random_instance(rng, 30, 12, 0.6)
        ours = check_feasible(optimal_assignment(scores, capacity), scores, capacity)
        # The same problem as an assignment problem: one column per free place of an expert and
        # one "unassigned" column per request.
        cols = [e for e in sorted(capacity) for _ in range(capacity[e])]
        matrix = np.zeros((30, len(cols) + 30))
        for r in range(30):
            for j, e in enumerate(cols):
                s = scores.get((r, e))
                matrix[r, j] = s if s is not None and s > 0 else -1e6
        rows, picked = optimize.linear_sum_assignment(matrix, maximize=True)
        theirs = sum(max(matrix[r, j], 0) for r, j in zip(rows, picked, strict=True))
        assert ours == pytest.approx(theirs, abs=1e-6)


# --- over the database --------------------------------------------------------------------------

class FakeMatch:
    """Match results without the engine: each expert's score for a request's text."""

    def __init__(self, table: dict[tuple[str, int], float]) -> None:
        self.table = table
        self.calls: list[dict[str, Any]] = []

    def __call__(self, text: str, *, region: Any = None, kinds: Any = (), limit: int = 10,
                 exclude_organisation_ids: Any = (), **_: Any) -> list[Any]:
        from clusterhub.core.models import Expert
        from clusterhub.matching.engine import Match

        self.calls.append({"text": text, "region": region, "kinds": kinds,
                           "exclude": set(exclude_organisation_ids)})
        title = text.split("\n")[0]
        out = []
        for (t, expert_pk), score in self.table.items():
            expert = Expert.objects.get(pk=expert_pk)
            if t == title and expert.organisation_id not in set(exclude_organisation_ids):
                out.append(Match("expert", expert.external_id, expert.pk, expert.name, score,
                                 ["같은 분야: 주조"]))
        return sorted(out, key=lambda m: -m.score)[:limit]


def triaged(hub: Any, title: str, user: Any = None, **kwargs: Any) -> SupportRequest:
    req = actions.submit_request(
        user or hub.sme, title=title, description=f"{title} 문제", support_type="guidance",
        region=hub.region, fields=[hub.casting], **kwargs)
    return actions.triage(hub.coordinator, req)


def test_proposal_maximises_the_total_within_capacity(hub):
    hub.expert.capacity = 1
    hub.expert.save()
    r1, r2 = triaged(hub, "기공"), triaged(hub, "휨")
    fake = FakeMatch({("기공", hub.expert.pk): 0.9, ("기공", hub.other_expert.pk): 0.8,
                      ("휨", hub.expert.pk): 0.7})
    proposal = propose(hub.coordinator, match=fake)
    assert {row.request.pk: row.proposed for row in proposal.rows} == {
        r1.pk: hub.other_expert.pk, r2.pk: hub.expert.pk}
    assert proposal.total == pytest.approx(1.5)
    assert proposal.assigned == 2
    assert fake.calls[0]["kinds"] == ("expert",) and fake.calls[0]["region"] == hub.region.code


def test_proposal_only_covers_the_coordinators_triaged_requests(hub):
    mine = triaged(hub, "기공")
    new_request(hub, title="아직 접수")  # submitted, not triaged: not in the batch
    other_region = actions.submit_request(hub.other_sme, title="남의 요청", description="기공",
                                          support_type="guidance", region=hub.other_region)
    actions.triage(hub.other_coordinator, other_region)
    fake = FakeMatch({("기공", hub.expert.pk): 0.9, ("남의 요청", hub.expert.pk): 0.9})
    assert [row.request.pk for row in propose(hub.coordinator, match=fake).rows] == [mine.pk]
    assert [row.request.pk for row in propose(hub.other_coordinator, match=fake).rows] == [
        other_region.pk]
    assert len(propose(hub.admin, match=fake).rows) == 2


def test_free_places_count_accepted_and_pending_offers(hub):
    from clusterhub.support.tests.conftest import forward

    hub.expert.capacity = 3
    hub.expert.save()
    forward(hub, new_request(hub), "in_progress")  # accepted
    forward(hub, new_request(hub), "assigned")  # offered, not answered
    closed = forward(hub, new_request(hub), "closed")  # done: no longer counts
    assert closed.status == Status.CLOSED
    assert free_places([hub.expert.pk, hub.other_expert.pk]) == {
        hub.expert.pk: 1, hub.other_expert.pk: hub.other_expert.capacity}


def test_experts_at_capacity_are_not_proposed(hub):
    from clusterhub.support.tests.conftest import forward

    hub.expert.capacity = 1
    hub.expert.save()
    forward(hub, new_request(hub), "in_progress")
    req = triaged(hub, "기공")
    fake = FakeMatch({("기공", hub.expert.pk): 0.9, ("기공", hub.other_expert.pk): 0.2})
    [row] = propose(hub.coordinator, match=fake).rows
    assert row.proposed == hub.other_expert.pk
    assert [c.expert_id for c in row.candidates] == [hub.expert.pk, hub.other_expert.pk]
    assert row.request.pk == req.pk


def test_conflicts_of_interest_are_never_proposed(hub):
    """The requesting firm's own experts and those of its corporate group are excluded."""
    parent = FirmFactory(external_id="group", name="한길그룹", region=hub.region)
    hub.firm.parent = parent
    hub.firm.save()
    sister = FirmFactory(external_id="sister", name="한길소재", region=hub.region, parent=parent)
    own = ExpertFactory(external_id="own", name="박사내", organisation=hub.firm)
    in_parent = ExpertFactory(external_id="par", name="최그룹", organisation=parent)
    in_sister = ExpertFactory(external_id="sis", name="정자매", organisation=sister)
    outsider = ExpertFactory(external_id="out", name="한외부", organisation=hub.other_firm)
    req = triaged(hub, "기공")
    table = {("기공", e.pk): 0.9 for e in (own, in_parent, in_sister)}
    table[("기공", outsider.pk)] = 0.1
    fake = FakeMatch(table)
    [row] = propose(hub.coordinator, match=fake).rows
    assert fake.calls[0]["exclude"] == {hub.firm.pk, parent.pk, sister.pk}
    assert [c.expert_id for c in row.candidates] == [outsider.pk]
    assert row.proposed == outsider.pk
    # Even if the matcher did propose them, they would be filtered (and assign refuses them).
    leaky = FakeMatch(table)
    leaky_call = leaky.__call__

    def ignore_exclusion(text: str, **kw: Any) -> list[Any]:
        kw["exclude_organisation_ids"] = ()
        return leaky_call(text, **kw)

    [row] = propose(hub.coordinator, match=ignore_exclusion).rows
    assert [c.expert_id for c in row.candidates] == [outsider.pk]
    for expert in (own, in_parent, in_sister):
        with pytest.raises(ProposalRefused) as exc:
            confirm(hub.coordinator, {req.pk: expert.pk})
        assert "conflict of interest" in exc.value.errors[req.pk]


def test_subsidiary_expert_conflicts_with_parent_firm(hub):
    sub = FirmFactory(external_id="sub", name="한길정밀", region=hub.region, parent=hub.firm)
    expert = ExpertFactory(external_id="subx", name="윤자회", organisation=sub)
    assert actions.linked_organisation_ids([hub.firm.pk]) == {hub.firm.pk: {hub.firm.pk, sub.pk}}
    req = triaged(hub, "기공")
    with pytest.raises(Exception, match="group"):
        actions.assign(hub.coordinator, req, [expert])
    # A non-firm parent (a centre's institute) links nothing.
    assert actions.linked_organisation_ids([hub.centre.pk])[hub.centre.pk] == {hub.centre.pk}
    assert hub.centre.kind != Organisation.Kind.FIRM


def test_experts_who_declined_are_not_proposed_again(hub):
    req = triaged(hub, "기공")
    actions.assign(hub.coordinator, req, [hub.expert])
    actions.decline(hub.expert_user, req, "일정 불가")
    fake = FakeMatch({("기공", hub.expert.pk): 0.9, ("기공", hub.other_expert.pk): 0.3})
    [row] = propose(hub.coordinator, match=fake).rows
    assert row.proposed == hub.other_expert.pk


def test_confirm_offers_every_pair(hub, mailoutbox, django_capture_on_commit_callbacks):
    r1, r2 = triaged(hub, "기공"), triaged(hub, "휨")
    with django_capture_on_commit_callbacks(execute=True):
        done = confirm(hub.coordinator, {r1.pk: hub.expert.pk, r2.pk: hub.other_expert.pk,
                                         999999: None})
    assert [r.pk for r in done] == [r1.pk, r2.pk]
    assert set(Assignment.objects.values_list("request_id", "expert_id", "state")) == {
        (r1.pk, hub.expert.pk, "offered"), (r2.pk, hub.other_expert.pk, "offered")}
    assert set(SupportRequest.objects.values_list("status", flat=True)) == {Status.ASSIGNED}
    assert RequestEvent.objects.filter(action="assign").count() == 2
    assert len(mailoutbox) == 2


def test_confirm_is_all_or_nothing_and_names_each_refused_request(hub, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    own = ExpertFactory(external_id="own", name="박사내", organisation=hub.firm)
    hub.other_expert.capacity = 1
    hub.other_expert.save()
    ok, conflict, over1, over2 = (triaged(hub, t) for t in ("기공", "휨", "균열", "변형"))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ProposalRefused) as exc:
        confirm(hub.coordinator, {ok.pk: hub.expert.pk, conflict.pk: own.pk,
                                  over1.pk: hub.other_expert.pk, over2.pk: hub.other_expert.pk})
    errors = exc.value.errors
    assert set(errors) == {conflict.pk, over2.pk}
    assert "conflict of interest" in errors[conflict.pk]
    assert "no free place" in errors[over2.pk]
    assert not Assignment.objects.exists()
    assert set(SupportRequest.objects.values_list("status", flat=True)) == {Status.TRIAGED}
    assert not RequestEvent.objects.filter(action="assign").exists()
    assert mailoutbox == []


def test_confirm_refuses_requests_that_moved_on_or_are_not_yours(hub):
    req = triaged(hub, "기공")
    actions.assign(hub.coordinator, req, [hub.expert])
    with pytest.raises(ProposalRefused) as exc:
        confirm(hub.coordinator, {req.pk: hub.other_expert.pk})
    assert "no longer waiting" in exc.value.errors[req.pk]
    other = triaged(hub, "휨")
    with pytest.raises(ProposalRefused) as exc:
        confirm(hub.other_coordinator, {other.pk: hub.expert.pk})
    assert "not yours" in exc.value.errors[other.pk]
    with pytest.raises(ProposalRefused):
        confirm(hub.coordinator, {other.pk: None})
    with pytest.raises(ProposalRefused):
        confirm(hub.sme, {other.pk: hub.expert.pk})


def test_capacity_counts_offers_of_this_batch_and_earlier(hub):
    hub.expert.capacity = 2
    hub.expert.save()
    first = triaged(hub, "기공")
    confirm(hub.coordinator, {first.pk: hub.expert.pk})
    r2, r3 = triaged(hub, "휨"), triaged(hub, "균열")
    with pytest.raises(ProposalRefused) as exc:
        confirm(hub.coordinator, {r2.pk: hub.expert.pk, r3.pk: hub.expert.pk})
    assert set(exc.value.errors) == {r3.pk}
    confirm(hub.coordinator, {r2.pk: hub.expert.pk})
    fake = FakeMatch({("균열", hub.expert.pk): 0.9})
    [row] = propose(hub.coordinator, match=fake).rows
    assert row.proposed is None  # no free place left


def test_proposal_with_the_real_engine(hub):
    """The engine's own candidates: the casting expert for a casting problem, not the
    requesting firm's people."""
    from clusterhub.matching import engine

    engine.reset_engine()
    own = ExpertFactory(external_id="own", name="박사내", organisation=hub.firm,
                        keywords=["다이캐스팅", "기공"])
    own.fields.set([hub.casting])
    req = triaged(hub, "ADC12 다이캐스팅 기공 불량")
    proposal = propose(hub.coordinator)
    [row] = proposal.rows
    assert row.request.pk == req.pk
    ids = [c.expert_id for c in row.candidates]
    assert own.pk not in ids
    assert row.proposed == hub.expert.pk
    assert row.chosen is not None and row.chosen.reasons


def test_make_user_for_group_firm_sme(hub):
    """An SME member of a sister firm files a request; the group's experts conflict with it."""
    sister = FirmFactory(external_id="sister2", name="한길소재2", region=hub.region,
                         parent=hub.firm)
    member = make_user("sister_sme", "sme", sister)
    req = triaged(hub, "기공", user=member)
    own = ExpertFactory(external_id="ownx", name="박모회사", organisation=hub.firm)
    with pytest.raises(ProposalRefused):
        confirm(hub.coordinator, {req.pk: own.pk})
    assert assignment.BATCH_SIZE >= 100
