"""The platform host: probes, API docs and the staff admin. No organisation endpoints."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from config.metrics import metrics_view
from tenants.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/schema", SpectacularAPIView.as_view(urlconf="config.urls_org"), name="schema"),
    path("api/docs", SpectacularRedocView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    path("", include("portal.signup_urls")),
]

handler400 = "config.handlers.bad_request"
handler403 = "config.handlers.permission_denied"
handler404 = "config.handlers.not_found"
handler500 = "config.handlers.server_error"
