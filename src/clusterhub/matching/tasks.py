"""Background task of matching (django-tasks API; `clusterhub db_worker` runs it)."""

from __future__ import annotations

from django_tasks import task


@task()
def rebuild_index(build_id: int) -> str:
    """Rebuild the persisted index for an `IndexBuild` row; progress goes to that row."""
    from .engine import run_build
    from .models import IndexBuild

    build = IndexBuild.objects.filter(pk=build_id).first()
    if build is None or build.status not in (IndexBuild.Status.QUEUED, IndexBuild.Status.FAILED):
        return "skipped"
    build = run_build(build)
    return build.message
