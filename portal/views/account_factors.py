"""/account/security, continued: a signed-in person's authenticator app and recovery codes.

Seeds and codes live only in the one response that shows them: never in a URL, the
session, a message or a log line (``sensitive_*`` keeps them out of error reports too),
and those responses are ``no-store``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from auth_methods.errors import AuthError
from auth_methods.factors import TotpFactor
from auth_methods.models import User
from auth_methods.recovery_codes.services import recovery_codes_generate, recovery_codes_left
from auth_methods.totp.services import totp_begin, totp_confirm, totp_disable
from portal.decorators import require_recent_auth, require_signed_in
from portal.forms import add_auth_error
from portal.views.context import actor_of, org_of, policy_of

SECURITY = "/account/security"


class TotpCodeForm(forms.Form):
    code = forms.CharField(max_length=64, label="6-digit code")


def _me(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 (require_signed_in let only users in)
    return request.user


def factors_context(user: User) -> dict[str, Any]:
    """What account/_factors.html needs, for the ``security`` view's context."""
    return {
        "totp_on": TotpFactor().is_usable(user),
        "recovery_codes_left": recovery_codes_left(user),
    }


@sensitive_variables()
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
@require_signed_in
@require_recent_auth
def totp_setup(request: HttpRequest) -> HttpResponse:
    """GET: a fresh seed (QR and text) and a code field; POST: confirm with a first code.
    A wrong code leaves the pending seed in place, so the person can simply try again."""
    user = _me(request)
    form = TotpCodeForm(request.POST or None)
    setup = None
    if request.method == "POST":
        if form.is_valid():
            try:
                totp_confirm(actor=actor_of(request), user=user, code=form.cleaned_data["code"])
            except AuthError as exc:
                add_auth_error(form, exc)
            else:
                messages.success(request, "Authenticator app set up.")
                return HttpResponseRedirect(SECURITY)
    else:
        try:
            setup = totp_begin(user=user, issuer=org_of(request).name)
        except AuthError as exc:
            messages.error(request, exc.detail)
            return HttpResponseRedirect(SECURITY)
    return render(
        request,
        "account/totp_setup.html",
        {"form": form, "setup": setup},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@require_signed_in
@require_recent_auth
def totp_turn_off(request: HttpRequest) -> HttpResponse:
    """GET: "are you sure?"; POST: remove the app, unless it is the last required factor."""
    if request.method != "POST":
        return render(request, "account/totp_setup.html", {"turn_off": True})
    try:
        totp_disable(actor=actor_of(request), user=_me(request), policy=policy_of(request))
    except AuthError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Authenticator app turned off.")
    return HttpResponseRedirect(SECURITY)


@sensitive_variables()
@never_cache
@require_http_methods(["GET", "POST"])
@require_signed_in
@require_recent_auth
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """POST: a new set of codes, shown on this response only; the old set stops working.
    GET (e.g. back from the step-up page) creates nothing and returns to the section."""
    if request.method != "POST":
        return HttpResponseRedirect(f"{SECURITY}#recovery-codes-title")
    codes = recovery_codes_generate(actor=actor_of(request), user=_me(request))
    return render(request, "account/recovery_codes.html", {"codes": codes})
