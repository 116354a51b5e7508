from django.urls import path

from portal.views.account import clear_flag, delete, rename, security
from portal.views.account_factors import recovery_codes, totp_setup, totp_turn_off
from portal.views.account_password import password, password_remove_page

urlpatterns = [
    path("security", security, name="account-security"),
    path("passkeys/<int:passkey_id>/rename", rename, name="account-passkey-rename"),
    path("passkeys/<int:passkey_id>/delete", delete, name="account-passkey-delete"),
    path("passkeys/<int:passkey_id>/clear-flag", clear_flag, name="account-passkey-clear-flag"),
    path("totp/setup", totp_setup, name="account-totp-setup"),
    path("totp/turn-off", totp_turn_off, name="account-totp-turn-off"),
    path("recovery-codes", recovery_codes, name="account-recovery-codes"),
    path("password", password, name="account-password"),
    path("password/remove", password_remove_page, name="account-password-remove"),
]
