"""clusterhub token create USERNAME | token revoke PREFIX | token list [USERNAME]."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterhub.core.actions import create_token, revoke_token
from clusterhub.core.models import ApiToken


class Command(BaseCommand):
    help = "Manage API tokens (stored hashed; shown once at creation)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("username")
        create.add_argument("--label", default="")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")
        listing = sub.add_parser("list", help="list tokens (prefixes only)")
        listing.add_argument("username", nargs="?")

    def handle(self, *args: Any, **options: Any) -> None:
        cmd = options["subcommand"]
        if cmd == "create":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no user '{options['username']}'")
            _row, token = create_token(None, user, options["label"])
            self.stdout.write(token)
        elif cmd == "revoke":
            rows = list(ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
            if not rows:
                raise CommandError(f"no active token with prefix '{options['prefix']}'")
            for row in rows:
                revoke_token(None, row)
            self.stdout.write(f"revoked {len(rows)} token(s)")
        else:
            qs = ApiToken.objects.select_related("user").order_by("created_at")
            if options.get("username"):
                qs = qs.filter(user__username=options["username"])
            for row in qs:
                state = "revoked" if row.revoked_at else "active"
                self.stdout.write(f"{row.prefix}  {row.user.username}  {row.label}  {state}")
