"""An organisation's host: ceremonies, REST API, portal and end-user pages."""

from django.urls import include, path

from api.oidc_clients import OidcClientDetailApi, OidcClientListApi, OidcClientSecretApi
from api.openid_configuration import OpenIdConfigurationApi
from config.metrics import metrics_view
from portal.views.account import home
from tenants.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("api.urls")),
    path(".well-known/openid-configuration", OpenIdConfigurationApi.as_view()),
    path("api/v1/oidc-clients", OidcClientListApi.as_view()),
    path("api/v1/oidc-clients/<str:client_id>", OidcClientDetailApi.as_view()),
    path("api/v1/oidc-clients/<str:client_id>/secret", OidcClientSecretApi.as_view()),
    path("", include("oidc.urls")),
    path("", include("portal.signin_urls")),
    path("orgs/<slug:slug>/portal/", include("portal.urls")),
    path("orgs/<slug:slug>/portal/", include("oidc.portal_urls")),
    path("account/", include("portal.account_urls")),
    path("", home, name="home"),
]

handler400 = "config.handlers.bad_request"
handler403 = "config.handlers.permission_denied"
handler404 = "config.handlers.not_found"
handler500 = "config.handlers.server_error"
