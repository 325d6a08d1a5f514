"""Assignment proposals: for a coordinator's batch of triaged requests, the offers that maximise
the total match score, subject to each expert's free places and to conflicts of interest.

The rules:

- **Batch**: the requests the coordinator sees (`SupportRequest.objects.for_user`) that are
  `triaged` (waiting for an expert), oldest first, at most `BATCH_SIZE`.
- **Candidates**: per request, the engine's best `CANDIDATES` experts for its title and
  description (`engine.match`, kind "expert", the request's region), without experts of an
  organisation linked to the requesting firm and without experts who already declined it.
- **Conflicts of interest**: `support.actions.linked_organisation_ids`: the requesting firm and
  its corporate group (parent firm, subsidiaries, sister firms). `actions.assign` refuses the
  same experts, so a proposal never contains what confirming would refuse.
- **Free places**: `capacity` minus the expert's assignments that are accepted *or still offered*
  on requests in `actions.LOAD_STATUSES` (an unanswered offer holds a place: otherwise two
  batches in a row could offer an expert twice their capacity).
- **Objective**: each request gets at most one expert; the sum of the chosen pairs' match scores
  is maximal. Pairs scoring 0 or less are never proposed; a request may stay unassigned.

It is solved as a min-cost flow (source -> request (capacity 1) -> expert (1, cost -score) ->
sink (the expert's free places)) by successive shortest paths with Dijkstra on reduced costs
(Johnson potentials), stopping at the first path that no longer lowers the cost. The cost of a
min-cost flow is convex in the amount of flow, so this is the optimum over every amount. Scores
are made integers (micro-units) so that the potentials stay exact.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from clusterhub.core.actions import ActionRefused
from clusterhub.core.models import Expert, Role, role_of

BATCH_SIZE = 100
CANDIDATES = 15
SCALE = 1_000_000  # scores are compared as integers of micro-units

INF = float("inf")


# ---------------------------------------------------------------------------------------------
# Min-cost flow
# ---------------------------------------------------------------------------------------------


class MinCostFlow:
    """A small min-cost flow on integer costs (negative costs allowed, no negative cycles):
    successive shortest paths, Bellman-Ford for the first potentials, Dijkstra afterwards."""

    def __init__(self, n: int) -> None:
        self.n = n
        # Edge: [to, residual capacity, cost, index of the reverse edge in graph[to]]
        self.graph: list[list[list[int]]] = [[] for _ in range(n)]
        self.edges: list[tuple[int, int]] = []  # (node, position) of each added edge

    def add_edge(self, u: int, v: int, cap: int, cost: int) -> int:
        self.graph[u].append([v, cap, cost, len(self.graph[v])])
        self.graph[v].append([u, 0, -cost, len(self.graph[u]) - 1])
        self.edges.append((u, len(self.graph[u]) - 1))
        return len(self.edges) - 1

    def flow_on(self, edge: int) -> int:
        u, i = self.edges[edge]
        to, _cap, _cost, rev = self.graph[u][i]
        return self.graph[to][rev][1]

    def _initial_potentials(self, s: int) -> list[float]:
        dist = [INF] * self.n
        dist[s] = 0
        for _round in range(self.n):
            changed = False
            for u in range(self.n):
                if dist[u] == INF:
                    continue
                for v, cap, cost, _rev in self.graph[u]:
                    if cap > 0 and dist[u] + cost < dist[v]:
                        dist[v] = dist[u] + cost
                        changed = True
            if not changed:
                return dist
        raise ValueError("negative cycle")

    def solve(self, s: int, t: int, max_flow: int | None = None, *,
              only_improving: bool = True) -> tuple[int, int]:
        """Send flow from s to t at least cost; with `only_improving`, stop as soon as another
        unit would not lower the total cost (the least-cost flow of any amount). Returns
        (flow, cost)."""
        h = self._initial_potentials(s)
        flow = cost = 0
        limit = max_flow if max_flow is not None else sum(e[1] for e in self.graph[s])
        while flow < limit:
            dist: list[float] = [INF] * self.n
            prev: list[tuple[int, int] | None] = [None] * self.n
            dist[s] = 0
            heap: list[tuple[float, int]] = [(0, s)]
            while heap:
                d, u = heapq.heappop(heap)
                if d > dist[u]:
                    continue
                hu = h[u]
                for i, (v, cap, c, _rev) in enumerate(self.graph[u]):
                    if cap <= 0 or h[v] == INF:
                        continue
                    nd = d + c + hu - h[v]
                    if nd < dist[v]:
                        dist[v] = nd
                        prev[v] = (u, i)
                        heapq.heappush(heap, (nd, v))
            if dist[t] == INF:
                break
            for v in range(self.n):
                if dist[v] < INF:
                    h[v] += dist[v]
            path_cost = h[t] - h[s]
            if only_improving and path_cost >= 0:
                break
            push = limit - flow
            v = t
            while v != s:
                step = prev[v]
                assert step is not None
                u, i = step
                push = min(push, self.graph[u][i][1])
                v = u
            v = t
            while v != s:
                step = prev[v]
                assert step is not None
                u, i = step
                edge = self.graph[u][i]
                edge[1] -= push
                self.graph[v][edge[3]][1] += push
                v = u
            flow += push
            cost += push * int(path_cost)
        return flow, cost


def optimal_assignment(scores: Mapping[tuple[Any, Any], float],
                       capacity: Mapping[Any, int]) -> dict[Any, Any]:
    """request -> expert for the pairs of `scores` (the allowed pairs) that maximise the total
    score, each request at most once, each expert at most `capacity[expert]` times. Pairs
    scoring 0 or less, and experts without a place, are left out."""
    pairs = sorted(((r, e, s) for (r, e), s in scores.items()
                    if s > 0 and capacity.get(e, 0) > 0), key=lambda p: (str(p[0]), str(p[1])))
    if not pairs:
        return {}
    requests = list(dict.fromkeys(r for r, _e, _s in pairs))
    experts = list(dict.fromkeys(e for _r, e, _s in pairs))
    r_node = {r: 2 + i for i, r in enumerate(requests)}
    e_node = {e: 2 + len(requests) + i for i, e in enumerate(experts)}
    mcf = MinCostFlow(2 + len(requests) + len(experts))
    source, sink = 0, 1
    for r in requests:
        mcf.add_edge(source, r_node[r], 1, 0)
    for e in experts:
        mcf.add_edge(e_node[e], sink, int(capacity[e]), 0)
    pair_edges = [(r, e, mcf.add_edge(r_node[r], e_node[e], 1, -round(s * SCALE)))
                  for r, e, s in pairs]
    mcf.solve(source, sink)
    return {r: e for r, e, edge in pair_edges if mcf.flow_on(edge) > 0}


# ---------------------------------------------------------------------------------------------
# Proposals over the database
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    expert_id: int
    name: str
    organisation: str
    score: float
    reasons: tuple[str, ...] = ()
    free: int = 0  # the expert's free places before this proposal


@dataclass
class Row:
    request: Any  # SupportRequest
    candidates: list[Candidate]
    proposed: int | None = None
    error: str = ""

    @property
    def chosen(self) -> Candidate | None:
        return next((c for c in self.candidates if c.expert_id == self.proposed), None)


@dataclass
class Proposal:
    rows: list[Row]
    free: dict[int, int] = field(default_factory=dict)  # expert pk -> free places

    @property
    def total(self) -> float:
        return sum(c.score for row in self.rows if (c := row.chosen) is not None)

    @property
    def assigned(self) -> int:
        return sum(1 for row in self.rows if row.proposed is not None)


class ProposalRefused(Exception):
    """Confirming a proposal failed; nothing was assigned. `errors`: request pk -> why."""

    def __init__(self, errors: dict[int, str], message: str = "") -> None:
        super().__init__(message or "; ".join(f"#{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.message = message


def batch_requests(actor: Any, limit: int = BATCH_SIZE) -> list[Any]:
    """The actor's triaged requests, oldest first."""
    from clusterhub.support.models import Status, SupportRequest

    return list(SupportRequest.objects.for_user(actor).filter(status=Status.TRIAGED)
                .select_related("firm", "region").prefetch_related("fields")
                .order_by("created_at", "pk")[:limit])


def free_places(expert_ids: Iterable[int]) -> dict[int, int]:
    """Expert pk -> capacity minus assignments accepted or offered on requests in progress."""
    from clusterhub.support.actions import LOAD_STATUSES

    busy = Q(assignments__state__in=["offered", "accepted"],
             assignments__request__status__in=LOAD_STATUSES)
    rows = (Expert.objects.filter(pk__in=list(expert_ids))
            .annotate(busy=Count("assignments", filter=busy))
            .values_list("pk", "capacity", "busy"))
    return {pk: max(int(capacity) - int(n), 0) for pk, capacity, n in rows}


def _declined(request_ids: Sequence[int]) -> set[tuple[int, int]]:
    from clusterhub.support.models import Assignment

    return set(Assignment.objects.filter(request_id__in=list(request_ids),
                                         state=Assignment.State.DECLINED)
               .values_list("request_id", "expert_id"))


def candidates_for(requests: Sequence[Any], per_request: int = CANDIDATES,
                   match: Callable[..., Any] | None = None) -> dict[int, list[Candidate]]:
    """Request pk -> its best experts without conflicts of interest, best first."""
    from clusterhub.support.actions import linked_organisation_ids

    if match is None:
        from . import engine

        match = engine.match
    linked = linked_organisation_ids({r.firm_id for r in requests})
    declined = _declined([r.pk for r in requests])
    found: dict[int, list[Any]] = {}
    for req in requests:
        excluded = sorted(linked[req.firm_id])
        results = match(f"{req.title}\n{req.description}",
                        region=req.region.code if req.region_id else None, kinds=("expert",),
                        limit=per_request, exclude_organisation_ids=excluded)
        found[req.pk] = [m for m in results if m.kind == "expert"
                         and (req.pk, m.pk) not in declined]
    experts = Expert.objects.select_related("organisation").in_bulk(
        {m.pk for ms in found.values() for m in ms})
    out: dict[int, list[Candidate]] = {}
    for req in requests:
        rows = []
        for m in found[req.pk]:
            expert = experts.get(m.pk)
            if expert is None or expert.organisation_id in linked[req.firm_id]:
                continue  # gone since the index was built, or a conflict the index missed
            rows.append(Candidate(expert.pk, expert.name, expert.organisation.name,
                                  float(m.score), tuple(m.reasons)))
        out[req.pk] = rows
    return out


def propose(actor: Any, *, limit: int = BATCH_SIZE, per_request: int = CANDIDATES,
            match: Callable[..., Any] | None = None) -> Proposal:
    """The best assignment of the actor's triaged requests (see the module docstring)."""
    requests = batch_requests(actor, limit)
    candidates = candidates_for(requests, per_request, match)
    free = free_places({c.expert_id for cs in candidates.values() for c in cs})
    scores = {(pk, c.expert_id): c.score for pk, cs in candidates.items() for c in cs}
    chosen = optimal_assignment(scores, free)
    rows = [Row(r, [replace(c, free=free.get(c.expert_id, 0)) for c in candidates[r.pk]],
                chosen.get(r.pk)) for r in requests]
    return Proposal(rows, free)


def confirm(actor: Any, choices: Mapping[int, int | None], note: str = "") -> list[Any]:
    """Offer each request to the chosen expert through `actions.assign`, all or nothing: when
    any pair is refused (conflict of interest, no free place, the request moved on), nothing is
    assigned and ProposalRefused names every refused request."""
    from clusterhub.support import actions
    from clusterhub.support.models import Status, SupportRequest

    if role_of(actor) not in (Role.COORDINATOR, Role.ADMIN):
        raise ProposalRefused({}, _("Only coordinators can assign requests."))
    chosen = {int(r): int(e) for r, e in choices.items() if e}
    if not chosen:
        raise ProposalRefused({}, _("Choose an expert for at least one request."))
    errors: dict[int, str] = {}
    done: list[Any] = []
    with transaction.atomic():
        # Lock the experts first, so that two coordinators confirming at once cannot both take
        # an expert's last place.
        experts = Expert.objects.select_for_update().in_bulk(sorted(set(chosen.values())))
        requests = SupportRequest.objects.for_user(actor).in_bulk(sorted(chosen))
        free = free_places(experts)
        used: Counter[int] = Counter()
        for req_pk, expert_pk in sorted(chosen.items()):
            req = requests.get(req_pk)
            expert = experts.get(expert_pk)
            if req is None:
                errors[req_pk] = _("This request does not exist or is not yours.")
                continue
            if expert is None:
                errors[req_pk] = _("This expert does not exist.")
                continue
            if req.status != Status.TRIAGED:
                errors[req_pk] = _("This request is no longer waiting for an expert (%(status)s).") \
                    % {"status": Status(req.status).label}
                continue
            used[expert_pk] += 1
            if used[expert_pk] > free.get(expert_pk, 0):
                errors[req_pk] = _("%(name)s has no free place left (capacity %(capacity)d).") \
                    % {"name": expert.name, "capacity": expert.capacity}
                continue
            try:
                done.append(actions.assign(actor, req, [expert], note))
            except ActionRefused as exc:
                errors[req_pk] = exc.message
        if errors:
            raise ProposalRefused(errors, _("Nothing was assigned: %(n)d of the requests could "
                                            "not be assigned as proposed.") % {"n": len(errors)})
    return done
