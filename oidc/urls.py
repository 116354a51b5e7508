from django.urls import path

from oidc import views

urlpatterns = [
    path("oidc/authorize", views.authorize, name="oidc-authorize"),
    path("oidc/token", views.token, name="oidc-token"),
    path("oidc/userinfo", views.userinfo, name="oidc-userinfo"),
    path("oidc/revoke", views.revoke, name="oidc-revoke"),
    path("oidc/logout", views.logout, name="oidc-logout"),
    path("oidc/passkey", views.passkey, name="oidc-passkey"),
]
