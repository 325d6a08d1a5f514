"""Fixtures of the matching tests: the reference and demo data with a built index, loaded once
per test module inside a transaction that is rolled back when the module is done (so other
modules, and other apps' tests, never see it). Import the fixture into a test module:

    from .demo import demo  # noqa: F401
    pytestmark = pytest.mark.usefixtures("demo")

Kiwi loads once per test session (the analyser is a process-wide singleton)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "core" / "reference"


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from django.db import transaction

    from clusterhub.core import demo_data
    from clusterhub.core.importing import import_files
    from clusterhub.matching import engine

    path = tmp_path_factory.mktemp("demo") / "demo.jsonl"
    demo_data.write(path, REFERENCE, 2006)
    files = [REFERENCE / f"{name}.jsonl" for name in ("regions", "fields", "organisations",
                                                      "clusters")]
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        import_files([*files, path])
        engine.reset_engine()
        build = engine.run_build()
    try:
        yield build
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
        engine.reset_engine()
