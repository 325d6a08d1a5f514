"""Derived data only: writes of activity records outside the import pipeline (which marks the
cells itself, `records.py`) make the pre-aggregated KPI cells stale."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import kpi
from .models import ContractResearch, Guidance, JointRnd, RoyaltyPayment, TechTransfer, Training


def _stale(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        kpi.mark_stale()


def connect() -> None:
    for model in (JointRnd, ContractResearch, TechTransfer, RoyaltyPayment, Guidance, Training):
        post_save.connect(_stale, sender=model, dispatch_uid=f"kpi-stale-save-{model.__name__}")
        post_delete.connect(_stale, sender=model, dispatch_uid=f"kpi-stale-del-{model.__name__}")
    for through in (JointRnd.firms.through, ContractResearch.client_firms.through,
                    Training.firms.through):
        m2m_changed.connect(_stale, sender=through, dispatch_uid=f"kpi-stale-m2m-{through}")
