"""What each kind of result is made of: its documents (text to index, by part and weight) and
its current state in the database (read at query time, so that a result always shows the
database's truth and a deleted object never appears).

Kinds: expert, organisation (support providers: institutes, regional centres, universities,
technoparks...; not firms), case (solved cases) and request (support requests, for
`similar_open_requests`). An equipment module registers its own source with `register`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db.models import Model, QuerySet

from .concepts import Taxonomy


@dataclass
class Doc:
    """A document to index: (text, repetitions) parts and the item's field ids."""

    pk: int
    parts: list[tuple[str, int]]
    fields: list[str]


@dataclass
class Item:
    """An indexed object as the database has it now."""

    kind: str
    pk: int
    id: str
    name: str
    region: str | None = None  # short name (경남)
    fields: list[str] = field(default_factory=list)
    organisation_id: int | None = None
    organisation_kind: str | None = None
    capacity: int = 0
    public: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _fields_of(through: type[Model], owner: str, pks: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    rows = (through._default_manager.filter(**{f"{owner}_id__in": list(pks)})
            .values_list(f"{owner}_id", "techfield__external_id").order_by("pk"))
    for pk, fid in rows:
        out.setdefault(pk, []).append(fid)
    return out


def _keywords(value: Any) -> str:
    if isinstance(value, list):
        return " , ".join(str(v) for v in value)
    return str(value or "")


class Source(ABC):
    """One kind of result."""

    kind: ClassVar[str]
    model: ClassVar[type[Model]]
    chunk: ClassVar[int] = 2000

    def queryset(self) -> QuerySet[Any]:
        return self.model._default_manager.all()

    def count(self) -> int:
        return self.queryset().count()

    @abstractmethod
    def docs(self, rows: list[dict[str, Any]], fields: dict[int, list[str]], taxonomy: Taxonomy,
             w: dict[str, int]) -> list[Doc]:
        ...

    @abstractmethod
    def values(self) -> tuple[str, ...]:
        ...

    def through(self) -> tuple[type[Model], str]:
        m2m = self.model._meta.get_field("fields")
        return m2m.remote_field.through, self.model._meta.model_name  # type: ignore[union-attr,return-value]

    def iter_docs(self, taxonomy: Taxonomy, w: dict[str, int],
                  pks: Sequence[int] | None = None) -> Iterator[list[Doc]]:
        """Documents in chunks, in primary-key order (only `pks` when given)."""
        through, owner = self.through()
        qs = self.queryset()
        if pks is not None:
            pk_list = sorted(set(pks))
            for i in range(0, len(pk_list), self.chunk):
                part = pk_list[i: i + self.chunk]
                rows = list(qs.filter(pk__in=part).order_by("pk").values(*self.values()))
                yield self.docs(rows, _fields_of(through, owner, [r["pk"] for r in rows]),
                                taxonomy, w)
            return
        last = 0
        while True:
            rows = list(qs.filter(pk__gt=last).order_by("pk").values(*self.values())[: self.chunk])
            if not rows:
                return
            last = rows[-1]["pk"]
            yield self.docs(rows, _fields_of(through, owner, [r["pk"] for r in rows]), taxonomy, w)

    @abstractmethod
    def hydrate(self, pks: Sequence[int], *, public_only: bool = False) -> dict[int, Item]:
        ...


def _field_parts(fids: list[str], taxonomy: Taxonomy, weight: int) -> list[tuple[str, int]]:
    own, above = taxonomy.names_with_ancestors(fids)
    parts = [(" , ".join(own), weight)] if own else []
    if above:
        parts.append((" , ".join(above), 1))
    return parts


class ExpertSource(Source):
    kind = "expert"

    @property
    def model(self) -> type[Model]:  # type: ignore[override]
        from clusterhub.core.models import Expert

        return Expert

    def values(self) -> tuple[str, ...]:
        return ("pk", "name", "title", "keywords", "bio", "organisation__name")

    def docs(self, rows: list[dict[str, Any]], fields: dict[int, list[str]], taxonomy: Taxonomy,
             w: dict[str, int]) -> list[Doc]:
        from clusterhub.support.models import SolvedCase

        solved: dict[int, list[str]] = {}
        if w["doc_expert_cases"] > 0:  # the titles of the cases an expert solved
            for pk, title in (SolvedCase.experts.through.objects
                              .filter(expert_id__in=[r["pk"] for r in rows])
                              .values_list("expert_id", "solvedcase__title").order_by("pk")):
                solved.setdefault(pk, []).append(title)
        out = []
        for r in rows:
            fids = fields.get(r["pk"], [])
            parts = [(" , ".join(solved.get(r["pk"], [])), w["doc_expert_cases"]),
                     (r["name"], w["doc_expert_name"]),
                     (r["organisation__name"] or "", w["doc_expert_organisation"]),
                     (_keywords(r["keywords"]), w["doc_expert_keywords"]),
                     (r["bio"] or "", w["doc_expert_bio"]),
                     *_field_parts(fids, taxonomy, w["doc_expert_fields"])]
            out.append(Doc(r["pk"], parts, fids))
        return out

    def hydrate(self, pks: Sequence[int], *, public_only: bool = False) -> dict[int, Item]:
        from clusterhub.core.models import Expert

        rows = Expert.objects.filter(pk__in=list(pks)).values(
            "pk", "external_id", "name", "title", "capacity", "organisation_id",
            "organisation__name", "organisation__kind", "organisation__region__short_name")
        fields = _fields_of(Expert.fields.through, "expert", list(pks))
        return {r["pk"]: Item(
            "expert", r["pk"], r["external_id"], r["name"],
            region=r["organisation__region__short_name"], fields=fields.get(r["pk"], []),
            organisation_id=r["organisation_id"], organisation_kind=r["organisation__kind"],
            capacity=r["capacity"] or 0,
            extra={"title": r["title"], "organisation": r["organisation__name"]},
        ) for r in rows}


class OrganisationSource(Source):
    kind = "organisation"

    @property
    def model(self) -> type[Model]:  # type: ignore[override]
        from clusterhub.core.models import Organisation

        return Organisation

    def queryset(self) -> QuerySet[Any]:
        from clusterhub.core.models import Organisation

        return Organisation.objects.support_providers()

    def values(self) -> tuple[str, ...]:
        return ("pk", "name", "name_en", "keywords", "facilities", "branch_category", "location")

    def docs(self, rows: list[dict[str, Any]], fields: dict[int, list[str]], taxonomy: Taxonomy,
             w: dict[str, int]) -> list[Doc]:
        out = []
        for r in rows:
            fids = fields.get(r["pk"], [])
            extra = " , ".join(x for x in (r["facilities"], r["branch_category"], r["location"]) if x)
            parts = [(r["name"], w["doc_organisation_name"]), (r["name_en"] or "", 1),
                     (_keywords(r["keywords"]), w["doc_organisation_keywords"]),
                     (extra, w["doc_organisation_facilities"]),
                     *_field_parts(fids, taxonomy, w["doc_organisation_fields"])]
            out.append(Doc(r["pk"], parts, fids))
        return out

    def hydrate(self, pks: Sequence[int], *, public_only: bool = False) -> dict[int, Item]:
        from clusterhub.core.models import Organisation

        rows = (Organisation.objects.support_providers().filter(pk__in=list(pks))
                .values("pk", "external_id", "name", "kind", "region__short_name", "parent_id"))
        fields = _fields_of(Organisation.fields.through, "organisation", list(pks))
        return {r["pk"]: Item(
            "organisation", r["pk"], r["external_id"], r["name"], region=r["region__short_name"],
            fields=fields.get(r["pk"], []), organisation_id=r["pk"],
            organisation_kind=r["kind"], extra={"kind": r["kind"]},
        ) for r in rows}


class CaseSource(Source):
    kind = "case"

    @property
    def model(self) -> type[Model]:  # type: ignore[override]
        from clusterhub.support.models import SolvedCase

        return SolvedCase

    def through(self) -> tuple[type[Model], str]:
        from clusterhub.support.models import SolvedCase

        return SolvedCase.fields.through, "solvedcase"

    def values(self) -> tuple[str, ...]:
        return ("pk", "title", "problem", "solution", "outcome")

    def docs(self, rows: list[dict[str, Any]], fields: dict[int, list[str]], taxonomy: Taxonomy,
             w: dict[str, int]) -> list[Doc]:
        out = []
        for r in rows:
            fids = fields.get(r["pk"], [])
            parts = [(r["title"], w["doc_case_title"]), (r["problem"], w["doc_case_problem"]),
                     (r["solution"], w["doc_case_solution"]),
                     (r["outcome"] or "", w["doc_case_outcome"]),
                     *_field_parts(fids, taxonomy, w["doc_case_fields"])]
            out.append(Doc(r["pk"], parts, fids))
        return out

    def hydrate(self, pks: Sequence[int], *, public_only: bool = False) -> dict[int, Item]:
        from clusterhub.support.models import SolvedCase

        qs = SolvedCase.objects.filter(pk__in=list(pks))
        if public_only:
            qs = qs.published()
        rows = qs.values("pk", "external_id", "title", "region__short_name", "year",
                         "support_type", "published", "firm_id")
        fields = _fields_of(SolvedCase.fields.through, "solvedcase", list(pks))
        return {r["pk"]: Item(
            "case", r["pk"], r["external_id"], r["title"], region=r["region__short_name"],
            fields=fields.get(r["pk"], []), public=r["published"],
            extra={"year": r["year"], "support_type": r["support_type"], "firm_id": r["firm_id"]},
        ) for r in rows}


class RequestSource(Source):
    kind = "request"

    @property
    def model(self) -> type[Model]:  # type: ignore[override]
        from clusterhub.support.models import SupportRequest

        return SupportRequest

    def through(self) -> tuple[type[Model], str]:
        from clusterhub.support.models import SupportRequest

        return SupportRequest.fields.through, "supportrequest"

    def queryset(self) -> QuerySet[Any]:
        from clusterhub.support.models import SupportRequest

        return SupportRequest.objects.open()

    def values(self) -> tuple[str, ...]:
        return ("pk", "title", "description")

    def docs(self, rows: list[dict[str, Any]], fields: dict[int, list[str]], taxonomy: Taxonomy,
             w: dict[str, int]) -> list[Doc]:
        out = []
        for r in rows:
            fids = fields.get(r["pk"], [])
            parts = [(r["title"], w["doc_request_title"]),
                     (r["description"], w["doc_request_description"]),
                     *_field_parts(fids, taxonomy, w["doc_request_fields"])]
            out.append(Doc(r["pk"], parts, fids))
        return out

    def hydrate(self, pks: Sequence[int], *, public_only: bool = False) -> dict[int, Item]:
        from clusterhub.support.models import SupportRequest

        rows = SupportRequest.objects.open().filter(pk__in=list(pks)).values(
            "pk", "title", "firm_id", "region__short_name", "status")
        fields = _fields_of(SupportRequest.fields.through, "supportrequest", list(pks))
        return {r["pk"]: Item(
            "request", r["pk"], str(r["pk"]), r["title"], region=r["region__short_name"],
            fields=fields.get(r["pk"], []), organisation_id=r["firm_id"], public=False,
            extra={"status": r["status"]},
        ) for r in rows}


SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    """Add a kind of result (the equipment module registers "equipment" this way)."""
    SOURCES[source.kind] = source


for _source in (ExpertSource(), OrganisationSource(), CaseSource(), RequestSource()):
    register(_source)
