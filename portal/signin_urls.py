from django.urls import path

from portal.views import enrolment, recovery, second_factor, user_signup
from portal.views.signin import confirm, sign_in, sign_out
from portal.views.welcome import first_steps_done, welcome

urlpatterns = [
    path("login", sign_in, name="login"),
    path("login/second-factor", second_factor.choose, name="login-second-factor"),
    path("login/second-factor/passkey", second_factor.passkey),
    path("login/second-factor/totp", second_factor.totp),
    path("login/second-factor/recovery-code", second_factor.recovery_code),
    path("login/enrol", enrolment.choose, name="login-enrol"),
    path("login/enrol/passkey/options", enrolment.passkey_options),
    path("login/enrol/passkey", enrolment.passkey),
    path("login/enrol/totp", enrolment.totp),
    path("login/confirm", confirm, name="login-confirm"),
    path("logout", sign_out, name="logout"),
    path("recover", recovery.request_link, name="recover"),
    path("recover/<str:token>", recovery.redeem, name="recover-redeem"),
    # An admin's passkey-registration link: redeemed alike, worded as the invitation it is.
    path("invitation/<str:token>", recovery.redeem_invitation, name="invitation-redeem"),
    path("signup", user_signup.signup, name="user-signup"),
    path("signup/confirm/<str:token>", user_signup.confirm, name="user-signup-confirm"),
    path("welcome/done", first_steps_done, name="first-steps-done"),
    path("welcome/<str:token>", welcome, name="welcome"),
    path("account/passkeys/revoke-others", recovery.revoke_others, name="revoke-others"),
]
