"""Sign-in pages on the org host: password, then a second factor when one is due."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from auth_methods.enrolment import enrolment_due
from auth_methods.errors import AuthError
from auth_methods.login_hint import hinted_passkey_owner, login_hint_of
from auth_methods.models import User
from auth_methods.passwords import REAUTHENTICATE, password_check, second_factor_needed
from auth_methods.sessions import mark_reauthenticated, set_pending, start_session
from auth_methods.sign_in_facts import record_sign_in
from auth_methods.user_signup import user_signup_open
from portal.forms import ConfirmForm, SignInForm, add_auth_error
from portal.views.ceremony_options import page_authentication_options
from portal.views.context import actor_of, policy_of, safe_next


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    hint = login_hint_of(request.GET.get("login_hint"))
    form = SignInForm(request.POST or None, initial={"email": hint})
    policy = policy_of(request)
    if request.method == "POST" and form.is_valid():
        try:
            user = password_check(
                policy=policy,
                actor=actor_of(request),
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
        except AuthError as exc:
            add_auth_error(form, exc)
        else:
            if second_factor_needed(policy, user):
                set_pending(request, user, after_password=True)
                # Quoted: a next with its own query (an OIDC authorization request) stays whole.
                step = "enrol" if enrolment_due(policy, user) else "second-factor"
                return HttpResponseRedirect(f"/login/{step}?next={quote(safe_next(request))}")
            start_session(request, user)
            record_sign_in(request, amr=["pwd"])
            if user.passkey_enrolment_required:  # onboarding: an admin asked for a passkey
                return HttpResponseRedirect("/account/security?enrol=1")
            return HttpResponseRedirect(safe_next(request))
    return render(
        request,
        "auth/login.html",
        {
            "form": form,
            "next": safe_next(request, ""),
            "passkeys_on": policy.passkey_login_enabled,
            "signup_open": user_signup_open(policy),
            # For browser autofill, which starts as the page loads.
            "passkey_options": (
                page_authentication_options(request, external_id=hinted_passkey_owner(hint))
                if policy.passkey_login_enabled
                else None
            ),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Step-up before a sensitive change: the password again, or one of the person's passkeys."""
    if not isinstance(request.user, User) or not request.user.is_authenticated:
        return HttpResponseRedirect("/login")
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_check(
                policy=policy_of(request),
                actor=actor_of(request),
                email=request.user.email,
                password=form.cleaned_data["password"],
                action=REAUTHENTICATE,
            )
        except AuthError as exc:
            add_auth_error(form, exc)
        else:
            mark_reauthenticated(request)
            return HttpResponseRedirect(safe_next(request))
    user = request.user
    # A person without a password (or who prefers it) re-confirms with one of their passkeys:
    # the sign-in ceremony for them alone, which renews the session's sign-in time.
    with_passkey = policy_of(request).passkey_login_enabled and user.passkeys.exists()
    return render(
        request,
        "auth/confirm.html",
        {
            "form": form,
            "next": safe_next(request, ""),
            "has_password": user.has_usable_password(),
            "external_id": user.external_id if with_passkey else None,
            "passkey_options": (
                page_authentication_options(request, external_id=user.external_id)
                if with_passkey
                else None
            ),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect("/login")
