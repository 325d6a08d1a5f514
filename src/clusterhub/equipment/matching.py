"""The equipment kind of the matching engine: an item's document is its name, capabilities
(Korean free text: what it can do), maker and model, classification and fields, so that
`match(text, kinds=["equipment"])` finds a machine by what it must do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Model, QuerySet

from clusterhub.matching.concepts import Taxonomy
from clusterhub.matching.sources import Doc, Item, Source, _field_parts, _fields_of

from .classification import label

WEIGHTS = {"name": 2, "capabilities": 3, "maker": 1, "classification": 2, "fields": 2}


class EquipmentSource(Source):
    kind = "equipment"

    @property
    def model(self) -> type[Model]:  # type: ignore[override]
        from .models import Equipment

        return Equipment

    def queryset(self) -> QuerySet[Any]:
        from .models import Equipment

        return Equipment.objects.listed()

    def values(self) -> tuple[str, ...]:
        return ("pk", "name", "capabilities", "maker", "model_name", "classification")

    def docs(self, rows: list[dict[str, Any]], fields: dict[int, list[str]], taxonomy: Taxonomy,
             w: dict[str, int]) -> list[Doc]:
        out = []
        for r in rows:
            fids = fields.get(r["pk"], [])
            parts = [(r["name"], WEIGHTS["name"]), (r["capabilities"] or "", WEIGHTS["capabilities"]),
                     (f"{r['maker']} {r['model_name']}".strip(), WEIGHTS["maker"]),
                     (label(r["classification"]).replace(" > ", " , "), WEIGHTS["classification"]),
                     *_field_parts(fids, taxonomy, WEIGHTS["fields"])]
            out.append(Doc(r["pk"], parts, fids))
        return out

    def hydrate(self, pks: Sequence[int], *, public_only: bool = False) -> dict[int, Item]:
        from .models import Equipment

        rows = Equipment.objects.listed().filter(pk__in=list(pks)).values(
            "pk", "external_id", "name", "owner_id", "owner__kind", "site__name",
            "site__region__short_name", "modes", "status")
        fields = _fields_of(Equipment.fields.through, "equipment", list(pks))
        return {r["pk"]: Item(
            "equipment", r["pk"], r["external_id"], r["name"],
            region=r["site__region__short_name"], fields=fields.get(r["pk"], []),
            organisation_id=r["owner_id"], organisation_kind=r["owner__kind"],
            extra={"site": r["site__name"], "modes": r["modes"], "status": r["status"]},
        ) for r in rows}


def _saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    from clusterhub.matching.signals import record_changes

    record_changes("equipment", [instance.pk])


def _fields_changed(sender: Any, instance: Any, action: str, reverse: bool = False,
                    pk_set: Any = None, **kwargs: Any) -> None:
    from clusterhub.matching.signals import record_changes

    if action.startswith("post_"):
        record_changes("equipment", (pk_set or []) if reverse else [instance.pk])


def connect() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from clusterhub.matching.sources import register

    from .models import Equipment

    register(EquipmentSource())
    post_save.connect(_saved, sender=Equipment, dispatch_uid="equipment-index")
    post_delete.connect(_saved, sender=Equipment, dispatch_uid="equipment-index-delete")
    m2m_changed.connect(_fields_changed, sender=Equipment.fields.through,
                        dispatch_uid="equipment-index-fields")
