"""The platform host's sign-up pages (included by config/urls_public.py)."""

from django.urls import path

from portal.views.signup import confirm, signup, slug_availability

urlpatterns = [
    path("signup", signup, name="signup"),
    path("signup/slug", slug_availability, name="signup-slug"),
    path("signup/confirm/<uuid:request_id>/<str:token>", confirm, name="signup-confirm"),
]
