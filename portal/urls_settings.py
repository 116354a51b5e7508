"""Auth-settings pages (policy form, lockout preview, history)."""

from django.urls import path

from portal.views.auth_settings import auth_settings

urlpatterns = [
    path("configuration/auth-settings", auth_settings, name="portal-auth-settings"),
]
