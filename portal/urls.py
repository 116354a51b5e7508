"""The org admin portal, under /orgs/<slug>/portal/ on the org's own host."""

from django.urls import include, path

from portal.views.overview import overview

urlpatterns = [
    path("", overview, name="portal-overview"),
    path("", include("portal.urls_settings")),
    path("", include("portal.urls_admin")),
]
