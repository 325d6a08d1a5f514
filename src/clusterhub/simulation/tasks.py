"""Background task of the simulation service (django-tasks API; `clusterhub db_worker` runs it)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_simulation(run_id: int) -> str:
    """Solve one queued `SimulationRun`; progress and the result go into its row."""
    from .actions import execute_run

    return execute_run(run_id)
