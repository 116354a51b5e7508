"""The platform staff's admin for organisations: creating one goes through the same service
as the CLI (tenants.services.org_create), which makes and migrates the schema."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from tenants.models import Domain, Organisation
from tenants.services import OrgError, org_create, org_create_check


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


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("slug", "name", "schema_name", "created")
    search_fields = ("slug", "name")
    inlines = [DomainInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Organisation | None = None) -> Any:
        # The schema is named after the slug once and for all.
        return ("slug", "schema_name", "created") if obj else ()

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
