"""The second step after a password: a chooser, then passkey, authenticator-app or recovery code."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.second_factor import (
    second_factor_choices,
    second_factor_offered,
    second_factor_verify,
)
from auth_methods.sessions import pending_user, start_session
from auth_methods.sign_in_facts import record_sign_in
from portal.forms import add_auth_error
from portal.views.ceremony_options import page_authentication_options
from portal.views.context import actor_of, policy_of, safe_next


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
    )


def _choices(request: HttpRequest, user: User) -> list[str]:
    return [factor.kind for factor in second_factor_choices(policy_of(request), user)]


@require_http_methods(["GET"])
def choose(request: HttpRequest) -> HttpResponse:
    user = pending_user(request)
    if user is None:
        return HttpResponseRedirect("/login")
    kinds = _choices(request, user)
    next_path = safe_next(request)
    if not kinds:  # nothing to pass: set one up (or learn why not) on the enrolment step
        return HttpResponseRedirect(f"/login/enrol?next={quote(next_path)}")
    if len(kinds) == 1:
        return HttpResponseRedirect(
            f"/login/second-factor/{kinds[0].replace('_', '-')}?next={quote(next_path)}"
        )
    return render(
        request,
        "auth/second_factor_choose.html",
        {"pending": user, "kinds": kinds, "next": next_path},
    )


@require_http_methods(["GET"])
def passkey(request: HttpRequest) -> HttpResponse:
    user = pending_user(request)
    if user is None:
        return HttpResponseRedirect("/login")
    return render(
        request,
        "auth/second_factor.html",
        {
            "pending": user,
            "next": safe_next(request),
            "kinds": _choices(request, user),
            "passkey_options": page_authentication_options(request, external_id=user.external_id),
        },
    )


def _code_step(request: HttpRequest, kind: str, template: str) -> HttpResponse:
    user = pending_user(request)
    if user is None or second_factor_offered(policy_of(request), user, kind) is None:
        return HttpResponseRedirect("/login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            second_factor_verify(
                policy=policy_of(request),
                actor=actor_of(request),
                user=user,
                kind=kind,
                proof=form.cleaned_data["code"],
            )
        except AuthError as exc:
            add_auth_error(
                form, exc if exc.field == "code" else AuthError(exc.code, exc.detail, field="code")
            )
        else:
            start_session(request, user)
            record_sign_in(request, amr=["pwd", "otp", "mfa"])  # a recovery code is one-time too
            return HttpResponseRedirect(safe_next(request))
    return render(
        request,
        template,
        {
            "form": form,
            "pending": user,
            "next": safe_next(request),
            "kinds": _choices(request, user),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def totp(request: HttpRequest) -> HttpResponse:
    return _code_step(request, "totp", "auth/second_factor_totp.html")


@require_http_methods(["GET", "POST"])
def recovery_code(request: HttpRequest) -> HttpResponse:
    return _code_step(request, "recovery_code", "auth/second_factor_recovery.html")
