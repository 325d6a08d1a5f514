"""clusterhub user add USERNAME --org ORG_ID --role ROLE [--email E] [--password-stdin]."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterhub.core.actions import ActionRefused, create_user
from clusterhub.core.models import Organisation, Role


class Command(BaseCommand):
    help = "Manage hub users."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="create a user with a hub role")
        add.add_argument("username")
        add.add_argument("--org", help="organisation id (external id)")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--email", default="")
        add.add_argument("--password-stdin", action="store_true",
                         help="read the password from standard input")
        add.add_argument("--expert", help="link the login to this expert id")

    def handle(self, *args: Any, **options: Any) -> None:
        org = None
        if options.get("org"):
            org = Organisation.objects.filter(external_id=options["org"]).first()
            if org is None:
                raise CommandError(f"--org: no organisation with id '{options['org']}'")
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        else:
            raise CommandError("no terminal for the password prompt: use --password-stdin")
        try:
            user = create_user(None, options["username"], options["role"], org,
                               email=options["email"], password=password or None)
        except ActionRefused as exc:
            raise CommandError(f"--{exc.field}: {exc.message}" if exc.field else exc.message) from None
        if options.get("expert"):
            from clusterhub.core.models import Expert

            updated = Expert.objects.filter(external_id=options["expert"]).update(user=user)
            if not updated:
                raise CommandError(f"--expert: no expert with id '{options['expert']}'")
        self.stdout.write(f"created {user.username} ({options['role']})")
