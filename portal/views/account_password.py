"""/account/password: a signed-in person changes their password, sets a first one, or
removes it while a passkey signs them in.

The password lives only in the POST that carries it: ``sensitive_*`` keeps it out of error
reports, and a refused form is rendered again without it (``render_value`` is off)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from auth_methods.errors import AuthError
from auth_methods.factors import password_removal_refusal
from auth_methods.models import User
from auth_methods.password_change import (
    FIELD,
    password_change,
    password_refusal,
    password_remove,
)
from auth_methods.password_strength import MAX_PASSWORD, new_password_hints
from auth_methods.policy import OrgPolicy
from portal.decorators import require_recent_auth, require_signed_in
from portal.forms import add_auth_error
from portal.views.context import actor_of, policy_of

SECURITY = "/account/security"


def _password_input() -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": "new-password"})


class NewPasswordForm(forms.Form):
    # Not stripped: every character typed is part of the password (as when an admin sets one).
    new_password = forms.CharField(
        label="New password", max_length=MAX_PASSWORD, strip=False, widget=_password_input()
    )
    new_password_again = forms.CharField(
        label="New password, again", max_length=MAX_PASSWORD, strip=False, widget=_password_input()
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        first, again = data.get(FIELD), data.get("new_password_again")
        if first is not None and again is not None and first != again:
            self.add_error("new_password_again", "The two passwords are not the same.")
        return data


def password_context(user: User, policy: OrgPolicy) -> dict[str, object]:
    """What account/_password.html needs, for the ``security`` view's context."""
    refusal = password_refusal(policy, user)
    usable = user.has_usable_password()
    return {
        "password_usable": usable,
        "password_refusal": refusal.detail if refusal is not None else "",
        "password_removable": usable and password_removal_refusal(policy, user) is None,
    }


def _me(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 (require_signed_in let only users in)
    return request.user


@sensitive_variables()
@sensitive_post_parameters(FIELD, "new_password_again")
@never_cache
@require_http_methods(["GET", "POST"])
@require_signed_in
@require_recent_auth
def password(request: HttpRequest) -> HttpResponse:
    """GET: the form; POST: change (or set) the password. Every other session of the person
    ends; this one stays signed in."""
    me, policy = _me(request), policy_of(request)
    refusal = password_refusal(policy, me)
    if refusal is not None:
        messages.error(request, refusal.detail)
        return HttpResponseRedirect(SECURITY)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_change(
                actor=actor_of(request),
                user=me,
                policy=policy,
                new_password=form.cleaned_data[FIELD],
                keep_session=request.session,
            )
        except AuthError as exc:
            add_auth_error(form, exc)
        else:
            messages.success(request, "Password saved. Every other device was signed out.")
            return HttpResponseRedirect(SECURITY)
    return render(
        request,
        "account/password.html",
        {"form": form, "first": not me.has_usable_password(), "hints": new_password_hints()},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@require_signed_in
@require_recent_auth
def password_remove_page(request: HttpRequest) -> HttpResponse:
    """GET: "are you sure?"; POST: remove the password, unless it is the last way in."""
    if request.method != "POST":
        return render(request, "account/remove_password.html")
    try:
        password_remove(
            actor=actor_of(request),
            user=_me(request),
            policy=policy_of(request),
            keep_session=request.session,
        )
    except AuthError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Password removed. Every other device was signed out.")
    return HttpResponseRedirect(SECURITY)
