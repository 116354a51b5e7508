from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from auth_methods.audit import Actor
from auth_methods.errors import AuthError
from oidc.clients import client_create
from tenants.context import with_org
from tenants.selectors import org_get


class Command(BaseCommand):
    help = "Register an app that signs its users in through an organisation (OpenID Connect)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--redirect-uri", dest="redirect_uris", action="append", required=True)
        parser.add_argument(
            "--post-logout-redirect-uri", dest="post_logout_redirect_uris", action="append"
        )
        parser.add_argument("--public", action="store_true", help="no secret; PKCE required")
        parser.add_argument("--third-party", action="store_true", help="users are asked to consent")
        parser.add_argument("--id-token-alg", choices=["ES256", "RS256"], default="ES256")

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_get(options["slug"])
        if org is None:
            raise CommandError(f"No organisation with the slug {options['slug']!r}.")
        with with_org(org):
            try:
                made = client_create(
                    actor=Actor(label="cli"),
                    name=options["name"],
                    redirect_uris=options["redirect_uris"],
                    post_logout_redirect_uris=options["post_logout_redirect_uris"] or [],
                    public=options["public"],
                    third_party=options["third_party"],
                    id_token_alg=options["id_token_alg"],
                )
            except AuthError as exc:
                raise CommandError(exc.detail) from None
        self.stdout.write(f"client_id={made.client.client_id}")
        if made.secret is not None:
            self.stdout.write(f"client_secret={made.secret}")
