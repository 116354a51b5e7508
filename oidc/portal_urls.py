from django.urls import path

from oidc import portal_views

urlpatterns = [
    path("apps", portal_views.clients, name="portal-apps"),
    path("apps/new", portal_views.client_new, name="portal-app-new"),
    path("apps/<str:client_id>", portal_views.client_edit, name="portal-app"),
    path("apps/<str:client_id>/secret", portal_views.client_secret, name="portal-app-secret"),
]
