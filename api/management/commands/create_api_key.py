from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from auth_methods.api_keys import SCOPES, api_key_create
from auth_methods.audit import CLI
from auth_methods.errors import AuthError
from tenants.context import with_org
from tenants.selectors import org_get


class Command(BaseCommand):
    help = "Create an API key for an organisation; prints the key once, as the last line."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", action="append", choices=SCOPES, default=[], dest="scopes")

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_get(options["slug"])
        if org is None:
            raise CommandError(f"No organisation with the slug {options['slug']!r}.")
        with with_org(org):
            try:
                made = api_key_create(actor=CLI, name=options["name"], scopes=options["scopes"])
            except AuthError as exc:
                raise CommandError(exc.detail) from None
        scopes = ", ".join(made.key.scopes) or "ceremonies only"
        self.stdout.write(f"API key {made.key.name!r} for {org.slug} ({scopes}); it is shown once:")
        self.stdout.write(made.secret)
