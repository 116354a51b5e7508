"""An admin acts on one passkey of a user: clear its possible-clone flag, or delete it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from auth_methods.models import Passkey
from auth_methods.passkeys.management import passkey_clear_flag, passkey_delete
from auth_methods.users import user_by_external_id
from portal.decorators import require_org_admin
from portal.views.context import actor_of, policy_of


@dataclass(frozen=True)
class PasskeyOp:
    title: str
    explanation: str
    button: str
    done: str
    danger: bool


OPS = {
    "clear-flag": PasskeyOp(
        "Clear the possible-clone flag",
        "Only if you know why the signature counter went back (a restored device, say): the "
        "passkey signs in again. If in doubt, delete it and have the user enrol a new one.",
        "Clear flag",
        "Flag cleared: the passkey signs in again.",
        danger=True,
    ),
    "delete": PasskeyOp(
        "Delete this passkey",
        "The passkey stops working at once and the user is signed out everywhere; they are "
        "told by email.",
        "Delete passkey",
        "Passkey deleted.",
        danger=True,
    ),
}


@require_http_methods(["GET", "POST"])
@require_org_admin
def user_passkey_action(
    request: HttpRequest, slug: str, external_id: str, passkey_id: int, op: str
) -> HttpResponse:
    """GET: the confirmation page; POST: the change, audited by its service."""
    person = user_by_external_id(external_id)
    passkey = Passkey.objects.filter(pk=passkey_id, user=person).first() if person else None
    spec = OPS.get(op)
    if person is None or passkey is None or spec is None:
        raise Http404("No such passkey of this user.")
    back = reverse("portal-user", kwargs={"slug": slug, "external_id": person.external_id})
    if request.method == "GET":
        context = {
            "section": "users",
            "title": spec.title,
            "explanation": spec.explanation,
            "button": spec.button,
            "danger": spec.danger,
            "subject": f"“{passkey.label or 'Passkey'}” of {person.email}",
            "cancel_url": back,
        }
        return render(request, "portal/confirm_action.html", context)
    actor = actor_of(request)
    if op == "clear-flag":
        passkey_clear_flag(actor=actor, passkey=passkey)
    else:
        passkey_delete(
            actor=actor,
            passkey=passkey,
            policy=policy_of(request),
            guard_last_factor=False,
            keep_session=request.session,
        )
    messages.success(request, spec.done)
    return HttpResponseRedirect(back)
