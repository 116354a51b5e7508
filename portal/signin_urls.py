from django.urls import path

from portal.views.signin import confirm, second_factor, sign_in, sign_out

urlpatterns = [
    path("login", sign_in, name="login"),
    path("login/second-factor", second_factor, name="login-second-factor"),
    path("login/confirm", confirm, name="login-confirm"),
    path("logout", sign_out, name="logout"),
]
