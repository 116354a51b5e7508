"""Account recovery: "Lost your passkey?" emails a single-use link that signs in once."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from auth_methods.errors import AuthError
from auth_methods.models import Passkey, User
from auth_methods.recovery import (
    recovery_link_redeem,
    recovery_link_request,
    recovery_second_factor_due,
    revoke_other_passkeys,
)
from auth_methods.sessions import set_pending, start_recovery_session
from portal.decorators import require_recent_auth_or_recovery, require_signed_in
from portal.views.context import actor_of, org_of, policy_of
from tenants.selectors import org_origins

RECOVERED_AT = "passgate_recovered_at"


class RecoveryRequestForm(forms.Form):
    email = forms.CharField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )


@require_http_methods(["GET", "POST"])
def request_link(request: HttpRequest) -> HttpResponse:
    form = RecoveryRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The link's origin comes from the org's configured host, never from the request.
        base_url = org_origins(org_of(request))[0]
        try:
            recovery_link_request(
                actor=actor_of(request), email=form.cleaned_data["email"], base_url=base_url
            )
        except AuthError as exc:
            if exc.code != "rate_limited":
                raise
        # The same answer whether or not the address belongs to an account.
        return render(request, "auth/recover_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "auth/recover_request.html", {"form": form})


@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest, token: str) -> HttpResponse:
    return _redeem(request, token, invitation=False)


@require_http_methods(["GET", "POST"])
def redeem_invitation(request: HttpRequest, token: str) -> HttpResponse:
    return _redeem(request, token, invitation=True)


def _redeem(request: HttpRequest, token: str, *, invitation: bool) -> HttpResponse:
    page = {"token": token, "invitation": invitation, "org_name": org_of(request).name}
    # GET only shows a button: mail scanners that follow links must not use the link up.
    if request.method == "GET":
        return render(request, "auth/recover_confirm.html", page)
    try:
        user = recovery_link_redeem(actor=actor_of(request), token=token)
    except AuthError as exc:
        return render(
            request, "auth/recover_confirm.html", {**page, "error": exc.detail}, status=400
        )
    if recovery_second_factor_due(policy_of(request), user):
        # The link stands in for the lost passkey only: the factor the user still holds is
        # asked in the password's half-done sign-in, with its time limit, before a session.
        set_pending(request, user, after_password=False)
        if not invitation:
            request.session[RECOVERED_AT] = time.time()
        return HttpResponseRedirect(f"/login/second-factor?next={quote('/account/security')}")
    start_recovery_session(request, user)
    if invitation:
        messages.success(request, "You are signed in. Add your passkey now.")
    else:
        request.session[RECOVERED_AT] = time.time()
        messages.success(
            request, "You are signed in. Add a new passkey now; you can then remove the others."
        )
    return HttpResponseRedirect("/account/security")


@require_POST
@require_signed_in
@require_recent_auth_or_recovery
def revoke_others(request: HttpRequest) -> HttpResponse:
    """After a recovery: keep the passkeys added since, remove every older one."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 (require_signed_in)
    since = request.session.get(RECOVERED_AT)
    if since is None:
        messages.error(request, "This is only offered right after an account recovery.")
        return HttpResponseRedirect("/account/security")
    keep = Passkey.objects.filter(user=user, created_at__gt=_as_datetime(float(since)))
    removed = revoke_other_passkeys(
        actor=actor_of(request),
        user=user,
        keep_ids=keep.values_list("pk", flat=True),
        keep_session=request.session,
    )
    request.session.pop(RECOVERED_AT, None)
    messages.success(request, f"Removed {removed} older passkey(s).")
    return HttpResponseRedirect("/account/security")


def _as_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)
