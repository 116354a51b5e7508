"""/welcome/<token> on a new org's host: the hand-over from the platform's sign-up.

The link signs the first admin in once (a short-lived, single-use registration link) and
takes them straight to registering their passkey, then to the portal's first steps.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from auth_methods.errors import AuthError
from auth_methods.recovery import recovery_link_redeem
from auth_methods.sessions import start_session
from portal.decorators import require_signed_in
from portal.views.context import actor_of, org_of

FIRST_STEPS = "passgate_first_steps"


def first_steps_url(request: HttpRequest) -> str:
    return f"/orgs/{org_of(request).slug}/portal/configuration/auth-settings"


@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: a prefetching browser or scanner must not use the link up.
    if request.method == "GET":
        return render(request, "auth/welcome.html", {"token": token})
    try:
        user = recovery_link_redeem(actor=actor_of(request), token=token)
    except AuthError as exc:
        context = {"token": token, "error": exc.detail}
        return render(request, "auth/welcome.html", context, status=400)
    start_session(request, user)
    request.session[FIRST_STEPS] = True
    return HttpResponseRedirect("/account/security?enrol=1")


@require_POST
@require_signed_in
def first_steps_done(request: HttpRequest) -> HttpResponse:
    request.session.pop(FIRST_STEPS, None)
    return HttpResponseRedirect(first_steps_url(request))
