"""API keys page: list, create (the secret is shown on that one response only), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from auth_methods.api_keys import (
    NewApiKey,
    api_key_by_id,
    api_key_create,
    api_key_revoke,
    api_keys_list,
)
from auth_methods.errors import AuthError
from portal.decorators import require_org_admin, require_recent_auth
from portal.forms import add_auth_error
from portal.forms_admin import ApiKeyCreateForm
from portal.views.context import actor_of


def _keys_page(
    request: HttpRequest, form: ApiKeyCreateForm, new: NewApiKey | None = None
) -> HttpResponse:
    context = {"section": "keys", "keys": api_keys_list(), "form": form, "new": new}
    return render(request, "portal/api_keys.html", context, status=400 if form.errors else 200)


@require_GET
@require_org_admin
def api_keys(request: HttpRequest, slug: str) -> HttpResponse:
    return _keys_page(request, ApiKeyCreateForm())


# never_cache: the response that carries the secret must not sit in any cache or history.
@never_cache
@require_http_methods(["GET", "POST"])
@require_org_admin
@require_recent_auth
def api_key_new(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the list with the create form (where step-up lands); POST: create and show the
    secret in this response, never in a redirect, message or log."""
    form = ApiKeyCreateForm(request.POST or None)
    new = None
    if request.method == "POST" and form.is_valid():
        try:
            new = api_key_create(
                actor=actor_of(request), name=form.cleaned_data["name"], scopes=form.scopes()
            )
        except AuthError as exc:
            add_auth_error(form, exc)
        else:
            form = ApiKeyCreateForm()
    return _keys_page(request, form, new)


@require_http_methods(["GET", "POST"])
@require_org_admin
@require_recent_auth
def api_key_revoke_page(request: HttpRequest, slug: str, key_id: int) -> HttpResponse:
    """GET: the confirmation page; POST: revoke, audited."""
    key = api_key_by_id(key_id)
    if key is None:
        raise Http404("No such API key.")
    back = reverse("portal-api-keys", kwargs={"slug": slug})
    if request.method == "GET":
        context = {
            "section": "keys",
            "title": "Revoke this API key",
            "explanation": "Calls made with this key fail from now on; this cannot be undone.",
            "button": "Revoke key",
            "danger": True,
            "subject": f"{key.name} ({key.lookup})",
            "cancel_url": back,
        }
        return render(request, "portal/confirm_action.html", context)
    if api_key_revoke(actor=actor_of(request), key=key):
        messages.success(request, f"API key “{key.name}” revoked.")
    else:
        messages.info(request, f"API key “{key.name}” was already revoked.")
    return HttpResponseRedirect(back)
