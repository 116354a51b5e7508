from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from auth_methods.org_signup import invitation_create


class Command(BaseCommand):
    help = "Create an invitation code for PASSGATE_SIGNUP=invite; prints it once, last line."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--uses", type=int, default=1, help="organisations it may create")
        parser.add_argument("--note", default="", help="who it is for (shown in the admin)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(invitation_create(note=options["note"], uses=max(1, options["uses"])))
