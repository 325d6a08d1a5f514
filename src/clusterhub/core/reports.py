"""Reports of the `clusterhub report NAME` command, registered by each app.

An app defines a :class:`Report` subclass in its ``reports.py`` and decorates it with
:func:`register`; the app's ``AppConfig.ready`` imports that module.
"""

from __future__ import annotations

import argparse
from abc import ABC, abstractmethod
from typing import Any, ClassVar

REPORTS: dict[str, type[Report]] = {}


class Report(ABC):
    """One named report: its own arguments, and its output as bytes in the chosen format."""

    name: ClassVar[str]
    help: ClassVar[str]
    formats: ClassVar[tuple[str, ...]] = ("json", "csv", "xlsx")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:  # noqa: B027 - optional
        """Arguments beyond --format and --output."""

    @abstractmethod
    def render(self, options: dict[str, Any], fmt: str) -> bytes:
        """The report in ``fmt``; raise ``ValueError`` with a reason for bad options."""


def register(report: type[Report]) -> type[Report]:
    """Class decorator: make the report available as `clusterhub report NAME`."""
    if report.name in REPORTS and REPORTS[report.name] is not report:
        raise ValueError(f"report {report.name!r} is registered twice")
    REPORTS[report.name] = report
    return report
