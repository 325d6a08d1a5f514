"""clusterhub report NAME [options] --format json|csv|xlsx [--output FILE]: the apps' reports."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterhub.core.reports import REPORTS


class Command(BaseCommand):
    help = "Write one of the hub's reports (utilisation, kpi, ...) as JSON, CSV or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="report", required=True, metavar="NAME",
                                           parser_class=type(parser))
        for name in sorted(REPORTS):
            report = REPORTS[name]()
            sub = subparsers.add_parser(name, help=report.help, description=report.help,
                                        called_from_command_line=getattr(
                                            parser, "called_from_command_line", None))
            sub.add_argument("--format", choices=report.formats, default=report.formats[0])
            sub.add_argument("--output", "-o", help="file to write (default: standard output)")
            report.add_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        report = REPORTS[options["report"]]()
        try:
            content = report.render(options, options["format"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options.get("output"):
            with open(options["output"], "wb") as fh:
                fh.write(content)
            self.stderr.write(f"{options['report']}: wrote {options['output']}")
        elif options["format"] in ("json", "csv"):
            self.stdout.write(content.decode("utf-8"), ending="")
        elif sys.stdout.isatty():
            raise CommandError(f"{options['format'].upper()} is binary: give --output FILE "
                               "or redirect standard output")
        else:
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
