"""/signup on an organisation's host: people create their own account, when the org allows it.

A thin door over auth_methods.user_signup. While sign-up is off the pages do not exist (404).
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from auth_methods.errors import AuthError
from auth_methods.sessions import start_session
from auth_methods.user_signup import user_signup_confirm, user_signup_open, user_signup_request
from portal.views.context import actor_of, org_of, policy_of
from tenants.selectors import org_origins


class UserSignupForm(forms.Form):
    email = forms.CharField(
        label="Your email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _open_or_404(request: HttpRequest) -> None:
    if not user_signup_open(policy_of(request)):
        raise Http404("No such page.")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    _open_or_404(request)
    form = UserSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            user_signup_request(
                policy=policy_of(request),
                actor=actor_of(request),
                email=email,
                # The link's origin is the org's configured host, never the request's.
                base_url=org_origins(org_of(request))[0],
            )
        except AuthError as exc:
            form.add_error("email", exc.detail)
            status = 429 if exc.code == "rate_limited" else 400
            return render(request, "auth/signup.html", {"form": form}, status=status)
        # The same page whether or not the address has an account.
        return render(request, "auth/signup_sent.html", {"email": email})
    status = 400 if form.errors else 200
    return render(request, "auth/signup.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    _open_or_404(request)
    # GET only shows a button: mail scanners that follow links must not create the account.
    if request.method == "GET":
        return render(request, "auth/signup_confirm.html")
    try:
        user = user_signup_confirm(policy=policy_of(request), actor=actor_of(request), token=token)
    except AuthError as exc:
        return render(request, "auth/signup_confirm.html", {"error": exc.detail}, status=400)
    start_session(request, user)
    return HttpResponseRedirect("/account/security?enrol=1")
