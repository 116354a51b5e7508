"""/account/security: a signed-in person looks after their own passkeys."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from auth_methods.errors import AuthError
from auth_methods.factors import can_recover_by_email, removes_last_way_in
from auth_methods.models import Passkey, User
from auth_methods.passkeys.authenticators import authenticator_name
from auth_methods.passkeys.management import passkey_clear_flag, passkey_delete, passkey_rename
from portal.decorators import require_recent_auth, require_signed_in
from portal.views.account_factors import factors_context
from portal.views.account_password import password_context
from portal.views.ceremony_options import page_registration_options
from portal.views.context import actor_of, policy_of


def _me(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 (require_signed_in let only users in)
    return request.user


def _own_passkey(request: HttpRequest, passkey_id: int) -> Passkey:
    passkey = Passkey.objects.filter(pk=passkey_id, user=_me(request)).first()
    if passkey is None:
        raise Http404("No such passkey.")
    return passkey


@require_GET
@require_signed_in
def security(request: HttpRequest) -> HttpResponse:
    me, policy = _me(request), policy_of(request)
    passkeys = [
        {"passkey": p, "name": authenticator_name(p.aaguid)}
        for p in Passkey.objects.filter(user=me)
    ]
    return render(
        request,
        "account/security.html",
        {
            "passkeys": passkeys,
            "policy": policy,
            "passkey_options": page_registration_options(request, user=me),
            **password_context(me, policy),
            **factors_context(me),
        },
    )


@require_POST
@require_signed_in
@require_recent_auth
def rename(request: HttpRequest, passkey_id: int) -> HttpResponse:
    passkey = _own_passkey(request, passkey_id)
    try:
        passkey_rename(
            actor=actor_of(request), passkey=passkey, label=request.POST.get("label", "")
        )
    except AuthError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Passkey renamed.")
    return HttpResponseRedirect("/account/security")


@require_signed_in
@require_recent_auth
def delete(request: HttpRequest, passkey_id: int) -> HttpResponse:
    passkey = _own_passkey(request, passkey_id)
    if request.method != "POST":
        me = _me(request)
        context = {
            "passkey": passkey,
            "last_way_in": removes_last_way_in(me, passkey),
            "recoverable": can_recover_by_email(me),
        }
        return render(request, "account/delete_passkey.html", context)
    try:
        passkey_delete(
            actor=actor_of(request),
            passkey=passkey,
            policy=policy_of(request),
            guard_last_factor=True,
            keep_session=request.session,
            understood_no_way_in=request.POST.get("understood") == "yes",
        )
    except AuthError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Passkey “{passkey.label}” deleted.")
    return HttpResponseRedirect("/account/security")


@require_http_methods(["GET", "POST"])
@require_signed_in
@require_recent_auth
def clear_flag(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """A passkey flagged as a possible clone: the owner, having just proved who they are,
    may vouch for it (GET: what that means; POST: clear it, audited)."""
    passkey = _own_passkey(request, passkey_id)
    if request.method != "POST":
        return render(request, "account/clear_flag.html", {"passkey": passkey})
    passkey_clear_flag(actor=actor_of(request), passkey=passkey)
    messages.success(request, f"Passkey “{passkey.label}” can sign in again.")
    return HttpResponseRedirect("/account/security")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    signed_in = isinstance(request.user, User) and request.user.is_authenticated
    return HttpResponseRedirect("/account/security" if signed_in else "/login")
