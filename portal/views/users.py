"""Users pages: search with factors at a glance, one user's detail, admin actions, create."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from auth_methods.audit import Actor
from auth_methods.errors import AuthError
from auth_methods.models import Passkey, RecoveryCodeSet, TotpDevice, User
from auth_methods.passkeys.authenticators import authenticator_name
from auth_methods.passkeys.management import passkeys_remove_all
from auth_methods.recovery import registration_link_send
from auth_methods.recovery_codes.services import recovery_codes_left
from auth_methods.second_factor import second_factor_wipe
from auth_methods.users import user_by_external_id, user_create, user_update
from portal.decorators import require_org_admin, require_recent_auth
from portal.forms import add_auth_error
from portal.forms_admin import UserCreateForm, UserSearchForm
from portal.views.context import actor_of

PAGE_SIZE = 25
UNKNOWN_AUTHENTICATOR = "Unknown authenticator"


@dataclass(frozen=True)
class UserAction:
    """One admin action: its confirmation page wording and the service call it makes."""

    title: str
    explanation: str
    button: str
    done: str
    run: Callable[[Actor, User], object]
    danger: bool = True


def _update(**changes: bool) -> Callable[[Actor, User], object]:
    return lambda actor, user: user_update(actor=actor, user=user, changes=changes)


ACTIONS: dict[str, UserAction] = {
    "remove-passkeys": UserAction(
        "Remove all passkeys",
        "Every passkey of this user is deleted. They cannot sign in with a passkey "
        "until they enrol a new one.",
        "Remove all passkeys",
        "All passkeys removed.",
        lambda actor, user: passkeys_remove_all(actor=actor, user=user),
    ),
    "wipe-second-factor": UserAction(
        "Wipe the second factor",
        "The user's authenticator app is deleted; they set up a new one at their next sign-in.",
        "Wipe second factor",
        "Second factor wiped.",
        lambda actor, user: second_factor_wipe(actor=actor, user=user),
    ),
    "require-enrolment": UserAction(
        "Require passkey enrolment",
        "At their next sign-in the user is asked to enrol a passkey.",
        "Require enrolment",
        "Passkey enrolment required at next sign-in.",
        _update(passkey_enrolment_required=True),
        danger=False,
    ),
    "cancel-enrolment": UserAction(
        "Stop requiring passkey enrolment",
        "The user is no longer asked to enrol a passkey at their next sign-in.",
        "Stop requiring enrolment",
        "Passkey enrolment no longer required.",
        _update(passkey_enrolment_required=False),
        danger=False,
    ),
    "send-registration-link": UserAction(
        "Email a passkey-registration link",
        "The user gets an email with a link that works once, for 24 hours: it signs them in "
        "so they can add a passkey, even if they have no other way in. An older unused link "
        "stops working.",
        "Send link",
        "Passkey-registration link emailed.",
        lambda actor, user: registration_link_send(actor=actor, user=user),
        danger=False,
    ),
    "disable": UserAction(
        "Disable this user",
        "The user can no longer sign in, by any method, until an admin enables them again.",
        "Disable user",
        "User disabled.",
        _update(active=False),
    ),
    "enable": UserAction(
        "Enable this user",
        "The user can sign in again with their existing factors.",
        "Enable user",
        "User enabled.",
        _update(active=True),
        danger=False,
    ),
}


@dataclass(frozen=True)
class UserRow:
    user: User
    passkeys: int
    authenticators: list[str]
    totp: bool
    recovery_codes_left: int


def _users_matching(q: str) -> QuerySet[User]:
    users = User.objects.order_by("email", "id")
    if q:
        users = users.filter(
            Q(email__icontains=q) | Q(display_name__icontains=q) | Q(external_id__icontains=q)
        )
    return users


def _rows(users: list[User]) -> list[UserRow]:
    """Factors at a glance for one page of users, in two queries whatever the page size."""
    ids = [u.pk for u in users]
    aaguids: dict[int, list[str]] = defaultdict(list)
    for user_id, aaguid in Passkey.objects.filter(user_id__in=ids).values_list("user_id", "aaguid"):
        aaguids[user_id].append(aaguid)
    totp = set(
        TotpDevice.objects.filter(user_id__in=ids, confirmed_at__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    codes_left = {
        user_id: used.count(False)
        for user_id, used in RecoveryCodeSet.objects.filter(user_id__in=ids).values_list(
            "user_id", "used"
        )
    }
    return [
        UserRow(
            user=u,
            passkeys=len(aaguids[u.pk]),
            authenticators=sorted(
                {authenticator_name(a) or UNKNOWN_AUTHENTICATOR for a in aaguids[u.pk]}
            ),
            totp=u.pk in totp,
            recovery_codes_left=codes_left.get(u.pk, 0),
        )
        for u in users
    ]


def _detail_url(slug: str, user: User) -> str:
    return reverse("portal-user", kwargs={"slug": slug, "external_id": user.external_id})


def _user_or_404(external_id: str) -> User:
    user = user_by_external_id(external_id)
    if user is None:
        raise Http404("No such user in this organisation.")
    return user


def _users_page(request: HttpRequest, form: UserCreateForm) -> HttpResponse:
    search = UserSearchForm(request.GET)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    page = Paginator(_users_matching(q), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "section": "users",
        "search": search,
        "q": q,
        "form": form,
        "page": page,
        "rows": _rows(list(page.object_list)),
    }
    return render(request, "portal/users.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@require_org_admin
def users(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: search and list; POST: create a user (the form sits under the list)."""
    if request.method == "POST":
        return _create(request, slug)
    return _users_page(request, UserCreateForm())


@require_recent_auth
def _create(request: HttpRequest, slug: str) -> HttpResponse:
    form = UserCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = user_create(
                email=data["email"],
                password=data["password"] or None,
                role=data["role"],
                external_id=data["external_id"].strip() or None,
                display_name=data["display_name"],
                actor=actor_of(request),
            )
        except AuthError as exc:
            add_auth_error(form, exc)
        else:
            messages.success(request, f"User {user.email} created.")
            return HttpResponseRedirect(_detail_url(slug, user))
    return _users_page(request, form)


def _is_self(request: HttpRequest, user: User) -> bool:
    return isinstance(request.user, User) and request.user.pk == user.pk


@require_GET
@require_org_admin
def user_detail(request: HttpRequest, slug: str, external_id: str) -> HttpResponse:
    person = _user_or_404(external_id)
    passkeys = [
        {"passkey": p, "name": authenticator_name(p.aaguid)}
        for p in Passkey.objects.filter(user=person)
    ]
    context = {
        "section": "users",
        "person": person,
        "is_self": _is_self(request, person),
        "passkeys": passkeys,
        "totp": TotpDevice.objects.filter(user=person).first(),
        "recovery_codes_left": recovery_codes_left(person),
    }
    return render(request, "portal/user_detail.html", context)


@require_http_methods(["GET", "POST"])
@require_org_admin
@require_recent_auth
def user_action(request: HttpRequest, slug: str, external_id: str, action: str) -> HttpResponse:
    """GET: the confirmation page; POST: the action itself, audited by its service."""
    person = _user_or_404(external_id)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    back = _detail_url(slug, person)
    if request.method == "GET":
        context = {
            "section": "users",
            "title": spec.title,
            "explanation": spec.explanation,
            "button": spec.button,
            "danger": spec.danger,
            "subject": f"{person.email} ({person.external_id})",
            "cancel_url": back,
        }
        return render(request, "portal/confirm_action.html", context)
    try:
        spec.run(actor_of(request), person)
    except AuthError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, spec.done)
    return HttpResponseRedirect(back)
