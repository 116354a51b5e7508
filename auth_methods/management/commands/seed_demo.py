from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand

from auth_methods.models import User
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.hosts import origin_for_host
from tenants.selectors import org_get
from tenants.services import org_create

DEMO_USERS = (("admin@acme.test", User.Role.ADMIN), ("member@acme.test", User.Role.MEMBER))


class Command(BaseCommand):
    help = "Create the demo organisation 'acme' with an admin and a member (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_get("acme") or org_create(slug="acme", name="Acme Corp").org
        url = origin_for_host(f"{org.slug}.localhost")
        created = []
        with with_org(org):
            for email, role in DEMO_USERS:
                if not User.objects.filter(email=email).exists():
                    password = secrets.token_urlsafe(12)
                    user_create(email=email, password=password, role=role)
                    created.append((email, role, password))
        if created:
            self.stdout.write("Demo users (passwords are shown this once):")
            for email, role, password in created:
                self.stdout.write(f"  {role:<6} {email}  {password}")
        else:
            self.stdout.write("Demo users already exist (create more with manage.py create_user).")
        self.stdout.write(f"Demo organisation: {url}")
