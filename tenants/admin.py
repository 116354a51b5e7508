from django.contrib import admin

from tenants.models import Domain, Organisation


class DomainInline(admin.TabularInline[Domain, Organisation]):
    model = Domain
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("slug", "name", "schema_name", "created")
    search_fields = ("slug", "name")
    readonly_fields = ("schema_name", "created")
    inlines = [DomainInline]
