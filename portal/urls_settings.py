"""Auth-settings pages (policy form, lockout preview, history)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
