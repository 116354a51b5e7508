from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_creation_fakes_migrations, schema_exists

# Lower-case letters, digits and single hyphens; starts with a letter. The schema name is
# derived from it, so this also keeps schema names safe to quote.
SLUG_RE = r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,39}$"
RESERVED_SLUGS = frozenset(
    {"admin", "api", "app", "platform", "public", "static", "www", "mail", "status", "docs"}
)


class Organisation(TenantMixin):
    slug = models.SlugField(max_length=40, unique=True, validators=[RegexValidator(SLUG_RE)])
    name = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)
    # A disabled org's hosts answer "organisation disabled"; nothing is deleted (reversible).
    is_active = models.BooleanField(default=True)

    # Schemas are created explicitly by tenants.services.org_create, which validates first.
    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> bool:
        """As django-tenants does, minus the no-op migrations (see tenants.schema_setup)."""
        if not sync_schema or get_creation_fakes_migrations():
            return bool(super().create_schema(check_if_exists, sync_schema, verbosity))
        from tenants.schema_setup import schema_create

        if check_if_exists and schema_exists(self.schema_name):
            return False
        schema_create(self.schema_name)
        return True


class Domain(DomainMixin):
    def __str__(self) -> str:
        return str(self.domain)


class OrgOutboxStatus(models.Model):
    """What each organisation's last outbox sweep saw, kept in the shared schema so that
    ``/metrics`` sums every org in one query; no email content, only counts and times."""

    org = models.OneToOneField(Organisation, on_delete=models.CASCADE, primary_key=True)
    swept_at = models.DateTimeField()
    backlog = models.PositiveIntegerField(default=0)
    oldest_unsent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"outbox of {self.org_id}"


from tenants.signup_models import PlatformAuditEvent, SignupInvitation, SignupRequest  # noqa: E402

__all__ = [
    "Domain",
    "Organisation",
    "OrgOutboxStatus",
    "PlatformAuditEvent",
    "SignupInvitation",
    "SignupRequest",
]
