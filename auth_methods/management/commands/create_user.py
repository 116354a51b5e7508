from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from auth_methods.audit import CLI
from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.selectors import org_get


class Command(BaseCommand):
    help = "Create a user in an organisation."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("email")
        parser.add_argument("--password")
        parser.add_argument("--role", choices=User.Role.values, default=User.Role.MEMBER)
        parser.add_argument("--external-id", dest="external_id")

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_get(options["slug"])
        if org is None:
            raise CommandError(f"No organisation with the slug {options['slug']!r}.")
        with with_org(org):
            try:
                user = user_create(
                    email=options["email"],
                    password=options["password"],
                    role=options["role"],
                    external_id=options["external_id"],
                    actor=CLI,
                )
            except AuthError as exc:
                raise CommandError(exc.detail) from None
        self.stdout.write(f"{user.email} ({user.role}, external id {user.external_id})")
