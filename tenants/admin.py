"""The platform staff's admin for organisations: creating one goes through the same service
as the CLI (tenants.services.org_create), which makes and migrates the schema."""

from __future__ import annotations

from typing import Any

from django import forms
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
from tenants.services import OrgError, org_create, org_create_check, org_set_active


class DomainInline(admin.TabularInline[Domain, Organisation]):
    model = Domain
    extra = 0


class OrganisationCreateForm(forms.ModelForm[Organisation]):
    domains = forms.CharField(
        required=False,
        help_text="Extra hostnames, comma-separated; the primary one is <slug>.<base domain>.",
    )

    class Meta:
        model = Organisation
        fields = ("slug", "name")

    def host_list(self) -> list[str]:
        raw = self.cleaned_data.get("domains") or ""
        return [host.strip() for host in raw.split(",") if host.strip()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                org_create_check(
                    slug=cleaned["slug"], name=cleaned["name"], domains=self.host_list()
                )
            except OrgError as exc:
                raise forms.ValidationError(str(exc)) from None
        return cleaned


def _staff(request: HttpRequest) -> str:
    return str(getattr(request.user, "email", "") or request.user)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("slug", "name", "is_active", "schema_name", "created")
    list_filter = ("is_active",)
    search_fields = ("slug", "name")
    inlines = [DomainInline]
    actions = ["disable", "enable"]

    def get_readonly_fields(self, request: HttpRequest, obj: Organisation | None = None) -> Any:
        # The schema is named after the slug once and for all.
        return ("slug", "schema_name", "created", "is_active") if obj else ()

    def get_inlines(self, request: HttpRequest, obj: Organisation | None) -> Any:
        return self.inlines if obj else []

    def get_form(
        self, request: HttpRequest, obj: Organisation | None = None, change: bool = False, **kw: Any
    ) -> Any:
        if obj is None:
            kw["form"] = OrganisationCreateForm
        return super().get_form(request, obj, change, **kw)

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = org_create(slug=obj.slug, name=obj.name, domains=form.host_list()).org
        # The admin goes on with the object it built (its messages and redirect use it).
        for field in Organisation._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        obj._state.db = created._state.db

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
