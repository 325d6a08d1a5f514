"""The `clusterhub` console command: Django's management commands plus the hub's own."""

from __future__ import annotations

import os
import sys

# Hub command names that are not valid Python module names, mapped to their modules.
ALIASES = {
    "import": "import_records",
    "export": "export_records",
    "load-reference": "load_reference",
    "demo-data": "demo_data",
    "db-worker": "db_worker",
    "match-index": "match_index",
    "eval-matching": "eval_matching",
}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterhub.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "clusterhub"
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
