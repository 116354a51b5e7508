"""User, API-key and audit-log pages."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
