from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tenants.services import OrgError, org_create


class Command(BaseCommand):
    help = "Create an organisation (schema, primary host, extra hosts); prints its URL."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--domain", action="append", default=[], dest="domains")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = org_create(
                slug=options["slug"], name=options["name"], domains=options["domains"]
            )
        except OrgError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(created.primary_url)
