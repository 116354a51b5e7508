from django.urls import path

from portal.views.account import delete, rename, security

urlpatterns = [
    path("security", security, name="account-security"),
    path("passkeys/<int:passkey_id>/rename", rename, name="account-passkey-rename"),
    path("passkeys/<int:passkey_id>/delete", delete, name="account-passkey-delete"),
]
