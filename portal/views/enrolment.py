"""/login/enrol: under ``mfa_required``, a person whose password was right and who holds no
second factor sets one up inside the half-done sign-in, then is signed in. The pages only
turn requests into ``auth_methods.enrolment`` calls; the state is the pending session, which
nothing else accepts as a sign-in."""

from __future__ import annotations

import json
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from auth_methods import errors
from auth_methods.audit import Actor
from auth_methods.enrolment import (
    ENROLMENT_AMR,
    enrol_passkey,
    enrol_passkey_options,
    enrol_totp_begin,
    enrol_totp_confirm,
    enrolment_choices,
    enrolment_due,
)
from auth_methods.errors import AuthError
from auth_methods.passkeys.services import CeremonyContext
from auth_methods.request_budget import spend_ip_request
from auth_methods.sessions import client_ip, pending_actor, start_session
from auth_methods.sign_in_facts import record_sign_in
from config.problems import problem_response
from portal.forms import add_auth_error
from portal.views.context import org_of, policy_of, safe_next
from portal.views.second_factor import CodeForm

LOGIN = "/login"


def _enrolling(request: HttpRequest) -> Actor | None:
    """The pending person when their half-done sign-in (after a password) is due to enrol."""
    actor = pending_actor(request)
    if actor is None or actor.user is None or not enrolment_due(policy_of(request), actor.user):
        return None
    return actor


def _signed_in(request: HttpRequest, actor: Actor) -> None:
    assert actor.user is not None  # noqa: S101 (_enrolling returns only a user's actor)
    start_session(request, actor.user)
    record_sign_in(request, amr=ENROLMENT_AMR)


@require_http_methods(["GET"])
def choose(request: HttpRequest) -> HttpResponse:
    actor = pending_actor(request)
    if actor is None or actor.user is None:
        return HttpResponseRedirect(LOGIN)
    next_path = safe_next(request)
    if not enrolment_due(policy_of(request), actor.user):
        return HttpResponseRedirect(f"/login/second-factor?next={quote(next_path)}")
    kinds = [f.kind for f in enrolment_choices(policy_of(request), actor.user)]
    return render(
        request,
        "auth/enrol.html",
        {"pending": actor.user, "kinds": kinds, "next": next_path},
    )


def _problem(exc: AuthError) -> JsonResponse:
    return problem_response(code=exc.code, detail=exc.detail)


def _lapsed() -> JsonResponse:
    return _problem(
        errors.UNAUTHENTICATED.with_detail(
            "No second factor is being set up in this sign-in (it may have timed out): "
            "enter your password again."
        )
    )


def _json_body(request: HttpRequest) -> dict[str, object]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise errors.INVALID_REQUEST.with_detail("The body must be a JSON object.")
    return body


def _ceremony(request: HttpRequest, actor: Actor) -> CeremonyContext:
    return CeremonyContext(policy=policy_of(request), actor=actor)


@require_POST
def passkey_options(request: HttpRequest) -> JsonResponse:
    actor = _enrolling(request)
    if actor is None or actor.user is None:
        return _lapsed()
    if not spend_ip_request(client_ip(request)):  # a stored challenge, like the API's options
        return _problem(errors.RATE_LIMITED.with_detail("Too many requests; wait a moment."))
    try:
        return JsonResponse(enrol_passkey_options(ctx=_ceremony(request, actor), user=actor.user))
    except AuthError as exc:
        return _problem(exc)


@require_POST
def passkey(request: HttpRequest) -> JsonResponse:
    actor = _enrolling(request)
    if actor is None or actor.user is None:
        return _lapsed()
    try:
        body = _json_body(request)
        enrol_passkey(
            ctx=_ceremony(request, actor),
            user=actor.user,
            credential=body.get("credential"),
            label=body.get("label"),
        )
    except AuthError as exc:
        return _problem(exc)
    _signed_in(request, actor)
    return JsonResponse({"signed_in": True}, status=201)


@sensitive_variables()
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def totp(request: HttpRequest) -> HttpResponse:
    """GET: a fresh seed (QR and text) and a code field; POST: confirm with a first code, and
    sign in. A wrong code keeps the pending seed, so the person can try again."""
    actor = _enrolling(request)
    if actor is None or actor.user is None:
        return HttpResponseRedirect(LOGIN)
    policy = policy_of(request)
    form = CodeForm(request.POST or None)
    setup = None
    if request.method != "POST":
        try:
            setup = enrol_totp_begin(policy=policy, user=actor.user, issuer=org_of(request).name)
        except AuthError:  # not on offer to this user: the chooser says what is
            return HttpResponseRedirect(f"/login/enrol?next={quote(safe_next(request))}")
    elif form.is_valid():
        try:
            enrol_totp_confirm(
                policy=policy, actor=actor, user=actor.user, code=form.cleaned_data["code"]
            )
        except AuthError as exc:
            add_auth_error(
                form, exc if exc.field == "code" else AuthError(exc.code, exc.detail, field="code")
            )
        else:
            _signed_in(request, actor)
            return HttpResponseRedirect(safe_next(request))
    return render(
        request,
        "auth/enrol_totp.html",
        {"form": form, "setup": setup, "pending": actor.user, "next": safe_next(request)},
        status=400 if form.errors else 200,
    )
