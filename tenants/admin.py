from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tenants.models import (
    Domain,
    Organisation,
    PlatformAuditEvent,
    SignupInvitation,
    SignupRequest,
)
from tenants.services import org_set_active


class DomainInline(admin.TabularInline[Domain, Organisation]):
    model = Domain
    extra = 0


def _staff(request: HttpRequest) -> str:
    return str(getattr(request.user, "email", "") or request.user)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("slug", "name", "is_active", "schema_name", "created")
    list_filter = ("is_active",)
    search_fields = ("slug", "name")
    readonly_fields = ("schema_name", "created", "is_active")
    inlines = [DomainInline]
    actions = ["disable", "enable"]

    @admin.action(description="Disable the selected organisations (reversible)")
    def disable(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        for org in queryset:
            org_set_active(org, False, actor=_staff(request))
        messages.success(request, f"Disabled {queryset.count()} organisation(s).")

    @admin.action(description="Enable the selected organisations")
    def enable(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        for org in queryset:
            org_set_active(org, True, actor=_staff(request))
        messages.success(request, f"Enabled {queryset.count()} organisation(s).")


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SignupRequest)
class SignupRequestAdmin(ReadOnlyAdmin):
    list_display = ("slug", "org_name", "email", "state", "created_at", "mail_sent_at", "org")
    list_filter = ("state",)
    search_fields = ("slug", "email", "org_name")
    exclude = ("nonce",)


@admin.register(SignupInvitation)
class SignupInvitationAdmin(admin.ModelAdmin[SignupInvitation]):
    # Codes are made by `manage.py create_signup_invitation` (shown once); only their hash is here.
    list_display = ("note", "uses_left", "created_at")
    exclude = ("code_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PlatformAuditEvent)
class PlatformAuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "outcome", "actor", "subject", "ip")
    list_filter = ("action", "outcome")
    search_fields = ("subject", "actor")
