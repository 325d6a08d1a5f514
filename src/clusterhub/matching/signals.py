"""Keep the index current: every create, update and delete of an indexed object writes an
`IndexChange` row in the same transaction (model signals for single saves, the import
pipeline's `after_write` hook for bulk imports, which bypass signals). The matcher of each
process reads these rows and re-analyses the objects (index.py, `Overlay`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save


def record_changes(kind: str, pks: Iterable[int]) -> None:
    from .models import IndexChange

    rows = [IndexChange(kind=kind, object_id=pk, token=secrets.token_hex(8))
            for pk in dict.fromkeys(pks) if pk is not None]
    if rows:
        IndexChange.objects.bulk_create(rows, batch_size=2000)


def _expert_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    record_changes("expert", [instance.pk])


def _organisation_saved(sender: Any, instance: Any, created: bool = False,
                        **kwargs: Any) -> None:
    record_changes("organisation", [instance.pk])
    if not created:  # an expert's document holds its organisation's name
        record_changes("expert", instance.experts.values_list("pk", flat=True))


def _organisation_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    record_changes("organisation", [instance.pk])


def _case_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    record_changes("case", [instance.pk])
    # An expert's document holds the titles of the cases they solved.
    record_changes("expert", instance.experts.values_list("pk", flat=True))


def _case_experts_changed(sender: Any, instance: Any, action: str, reverse: bool = False,
                          pk_set: Any = None, **kwargs: Any) -> None:
    if action.startswith("pre_") and action != "pre_clear":
        return
    if reverse:  # expert.solved_cases.add(case...): the expert changed
        record_changes("expert", [instance.pk])
    elif action == "pre_clear":
        record_changes("expert", instance.experts.values_list("pk", flat=True))
    else:
        record_changes("expert", pk_set or [])


def _request_saved(sender: Any, instance: Any, created: bool = False,
                   update_fields: Any = None, **kwargs: Any) -> None:
    # Status changes do not change the text; open/closed is read from the database.
    if created or update_fields is None or {"title", "description"} & set(update_fields):
        record_changes("request", [instance.pk])


def _request_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    record_changes("request", [instance.pk])


def _fields_changed(kind: str) -> Any:
    def handler(sender: Any, instance: Any, action: str, reverse: bool = False,
                pk_set: Any = None, **kwargs: Any) -> None:
        if not action.startswith("post_"):
            return
        if reverse:  # TechField.<related>.add(...): the objects are in pk_set
            record_changes(kind, pk_set or [])
        else:
            record_changes(kind, [instance.pk])
    return handler


def _taxonomy_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A field renamed or moved changes many documents: queue a full rebuild."""
    if kwargs.get("created"):
        return
    from django.db import transaction

    from .engine import request_rebuild

    transaction.on_commit(lambda: request_rebuild())


def _concepts_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    from .engine import engine

    engine().invalidate_concepts()


_handlers: list[Any] = []


def connect() -> None:
    from clusterhub.core.models import Expert, Organisation, TechField
    from clusterhub.support.models import SolvedCase, SupportRequest

    from .models import Concept

    pairs: list[tuple[Any, Any, Any]] = [
        (post_save, _expert_saved, Expert), (post_delete, _expert_saved, Expert),
        (post_save, _organisation_saved, Organisation),
        (post_delete, _organisation_deleted, Organisation),
        (post_save, _case_changed, SolvedCase), (post_delete, _case_changed, SolvedCase),
        (post_save, _request_saved, SupportRequest),
        (post_delete, _request_deleted, SupportRequest),
        (m2m_changed, _fields_changed("expert"), Expert.fields.through),
        (m2m_changed, _fields_changed("organisation"), Organisation.fields.through),
        (m2m_changed, _fields_changed("case"), SolvedCase.fields.through),
        (m2m_changed, _case_experts_changed, SolvedCase.experts.through),
        (m2m_changed, _fields_changed("request"), SupportRequest.fields.through),
        (post_save, _taxonomy_changed, TechField),
        (post_save, _concepts_changed, Concept), (post_delete, _concepts_changed, Concept),
    ]
    for signal, handler, model in pairs:
        signal.connect(handler, sender=model, weak=False,
                       dispatch_uid=f"matching-{handler.__name__}-{model.__name__}-{id(signal)}")
        _handlers.append(handler)
    _hook_imports()


def _hook_imports() -> None:
    """Bulk imports write with bulk_create (no signals): record their rows through each record
    type's `after_write` hook."""
    from clusterhub.core.importing import REGISTRY

    for name, kind in (("expert", "expert"), ("organisation", "organisation"), ("case", "case")):
        rtype = REGISTRY.get(name)
        if rtype is None or getattr(rtype.after_write, "_matching_hook", False):
            continue
        original = rtype.after_write

        def hooked(pks: list[int], _original: Any = original, _kind: str = kind) -> None:
            _original(pks)
            record_changes(_kind, pks)
            if _kind == "case":  # their experts' documents hold the case titles
                from clusterhub.support.models import SolvedCase

                record_changes("expert", SolvedCase.experts.through.objects.filter(
                    solvedcase_id__in=pks).values_list("expert_id", flat=True).distinct())

        hooked._matching_hook = True  # type: ignore[attr-defined]
        rtype.after_write = hooked  # type: ignore[method-assign]
