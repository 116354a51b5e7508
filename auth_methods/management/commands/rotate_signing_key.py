from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from auth_methods.tokens import signing_key_rotate
from tenants.context import with_org
from tenants.selectors import org_get


class Command(BaseCommand):
    help = "Rotate an organisation's token signing key (the previous key stays in JWKS)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_get(options["slug"])
        if org is None:
            raise CommandError(f"No organisation with the slug {options['slug']!r}.")
        with with_org(org):
            key = signing_key_rotate()
        self.stdout.write(f"New signing key {key.kid} for {org.slug}.")
