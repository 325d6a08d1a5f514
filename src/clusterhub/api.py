"""The JSON API under /api/v1/ (django-ninja). Each app contributes a router."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from clusterhub.analytics.api import router as analytics_router
from clusterhub.collab.api import router as collab_router
from clusterhub.core.actions import ActionRefused
from clusterhub.core.api import router as directory_router
from clusterhub.equipment.api import router as equipment_router
from clusterhub.matching.api import router as matching_router
from clusterhub.simulation.api import router as simulation_router
from clusterhub.support.api import router as support_router

api = NinjaAPI(
    title="ClusterHub API",
    version="1",
    description="Directory of the cluster, the one-stop SME support desk, shared equipment, "
    "collaboration workspaces, casting simulation and analytics. "
    "Authenticate with `Authorization: Bearer <token>` (`clusterhub token create USER`).",
    urls_namespace="api",
)
api.add_router("/", directory_router)
api.add_router("/", support_router)
api.add_router("/", matching_router)
api.add_router("/", equipment_router)
api.add_router("/", collab_router)
api.add_router("/", analytics_router)
api.add_router("/", simulation_router)


def _error(request: HttpRequest, status: int, code: str, message: str,
           field: str | None = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "field": field},
                               status=status)


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first: dict[str, Any] = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "payload")]
    return _error(request, 422, "invalid", first.get("msg", "invalid input"),
                  ".".join(loc) or None)


@api.exception_handler(ActionRefused)
def _refused(request: HttpRequest, exc: ActionRefused) -> HttpResponse:
    status = {"forbidden": 403, "invalid_transition": 409, "capacity": 409, "conflict": 409,
              "transfer_error": 409, "not_found": 404}.get(exc.code, 422)
    return _error(request, status, exc.code, exc.message, exc.field)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthorised", "A valid bearer token is required.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))
