from django.urls import path

from portal.views import recovery, second_factor
from portal.views.signin import confirm, sign_in, sign_out
from portal.views.welcome import first_steps_done, welcome

urlpatterns = [
    path("login", sign_in, name="login"),
    path("login/second-factor", second_factor.choose, name="login-second-factor"),
    path("login/second-factor/passkey", second_factor.passkey),
    path("login/second-factor/totp", second_factor.totp),
    path("login/second-factor/recovery-code", second_factor.recovery_code),
    path("login/confirm", confirm, name="login-confirm"),
    path("logout", sign_out, name="logout"),
    path("recover", recovery.request_link, name="recover"),
    path("recover/<str:token>", recovery.redeem, name="recover-redeem"),
    path("welcome/done", first_steps_done, name="first-steps-done"),
    path("welcome/<str:token>", welcome, name="welcome"),
    path("account/passkeys/revoke-others", recovery.revoke_others, name="revoke-others"),
]
