"""An organisation's host: ceremonies, REST API, portal and end-user pages."""

from django.urls import include, path

from config.metrics import metrics_view
from portal.views.account import home
from tenants.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("api.urls")),
    path("", include("portal.signin_urls")),
    path("orgs/<slug:slug>/portal/", include("portal.urls")),
    path("account/", include("portal.account_urls")),
    path("", home, name="home"),
]

handler400 = "config.handlers.bad_request"
handler403 = "config.handlers.permission_denied"
handler404 = "config.handlers.not_found"
handler500 = "config.handlers.server_error"
