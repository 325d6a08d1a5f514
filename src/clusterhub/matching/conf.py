"""Configuration of the ranking: every weight comes from settings.CLUSTERHUB_MATCH_WEIGHTS
(defaults and the meaning of each key in clusterhub/settings.py); nothing here is tuned."""

from __future__ import annotations

from typing import Any

from django.conf import settings

REQUIRED_KEYS = (
    "text", "fields", "region", "region_adjacent", "similar_cases", "outcome", "load", "full",
    "field_exact", "field_path", "field_sibling", "query_expansion", "query_fields",
    "query_field_parents", "outcome_volume", "outcome_satisfaction", "outcome_speed",
    "outcome_volume_ref", "outcome_speed_ref_days", "kind_expert", "kind_case",
    "kind_organisation", "kind_equipment", "candidates", "similar_cases_k", "prf_cases", "prf_fields",
    "confidence_scale", "field_min_share", "shared_problem_min",
    "delta_rebuild_min", "delta_rebuild_share",
)
# Repetitions of each part of a document (the BM25 field weights); a change needs a rebuild.
DOC_KEYS = (
    "doc_expert_name", "doc_expert_organisation", "doc_expert_keywords", "doc_expert_bio",
    "doc_expert_fields", "doc_expert_cases", "doc_organisation_name", "doc_organisation_keywords",
    "doc_organisation_facilities", "doc_organisation_fields", "doc_case_title",
    "doc_case_problem", "doc_case_solution", "doc_case_outcome", "doc_case_fields",
    "doc_request_title", "doc_request_description", "doc_request_fields",
)


def weights() -> dict[str, Any]:
    """The configured weights; a missing key is a configuration error named here."""
    configured: dict[str, Any] = dict(getattr(settings, "CLUSTERHUB_MATCH_WEIGHTS", {}))
    missing = [k for k in (*REQUIRED_KEYS, *DOC_KEYS) if k not in configured]
    if missing:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"CLUSTERHUB_MATCH_WEIGHTS lacks {', '.join(missing)}")
    return configured


def doc_weights() -> dict[str, int]:
    w = weights()
    return {k: max(0, int(round(float(w[k])))) for k in DOC_KEYS}


def index_version() -> str:
    """What a persisted build must have been made with to be used: the analyser's version and
    the document weights (a change of either needs a rebuild)."""
    import hashlib
    import json

    from .analysis import ANALYZER_VERSION

    digest = hashlib.sha1(json.dumps(doc_weights(), sort_keys=True).encode()).hexdigest()[:8]
    return f"{ANALYZER_VERSION}-{digest}"
