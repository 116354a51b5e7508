"""Portal pages for the org's apps (OpenID Connect clients): thin doors over oidc.clients."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from auth_methods.errors import AuthError
from oidc.clients import (
    ClientWithSecret,
    client_create,
    client_get,
    client_rotate_secret,
    client_update,
)
from oidc.models import Client
from oidc.portal_forms import ClientCreateForm, ClientEditForm
from portal.decorators import require_org_admin, require_recent_auth
from portal.forms import add_auth_error
from portal.views.context import actor_of


def _list_page(
    request: HttpRequest, form: ClientCreateForm, new: ClientWithSecret | None = None
) -> HttpResponse:
    context = {"section": "apps", "clients": Client.objects.all(), "form": form, "new": new}
    return render(request, "oidc/portal_clients.html", context, status=400 if form.errors else 200)


def _client_or_404(client_id: str) -> Client:
    client = client_get(client_id)
    if client is None:
        raise Http404("No such app.")
    return client


@require_GET
@require_org_admin
def clients(request: HttpRequest, slug: str) -> HttpResponse:
    return _list_page(request, ClientCreateForm())


# never_cache: the response that carries a secret must not sit in any cache or history.
@never_cache
@require_http_methods(["GET", "POST"])
@require_org_admin
@require_recent_auth
def client_new(request: HttpRequest, slug: str) -> HttpResponse:
    form = ClientCreateForm(request.POST or None)
    new = None
    if request.method == "POST" and form.is_valid():
        try:
            new = client_create(actor=actor_of(request), **form.cleaned_data)
        except AuthError as exc:
            add_auth_error(form, exc)
        else:
            form = ClientCreateForm()
    return _list_page(request, form, new)


@never_cache
@require_http_methods(["GET", "POST"])
@require_org_admin
@require_recent_auth
def client_edit(request: HttpRequest, slug: str, client_id: str) -> HttpResponse:
    client = _client_or_404(client_id)
    form = ClientEditForm.for_client(client, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client_update(actor=actor_of(request), client=client, changes=form.cleaned_data)
        except AuthError as exc:
            add_auth_error(form, exc)
        else:
            messages.success(request, f"App “{form.cleaned_data['name']}” saved.")
            return HttpResponseRedirect(reverse("portal-apps", kwargs={"slug": slug}))
    context = {"section": "apps", "client": client, "form": form}
    return render(request, "oidc/portal_client.html", context, status=400 if form.errors else 200)


@never_cache
@require_POST
@require_org_admin
@require_recent_auth
def client_secret(request: HttpRequest, slug: str, client_id: str) -> HttpResponse:
    client = _client_or_404(client_id)
    try:
        rotated = client_rotate_secret(actor=actor_of(request), client=client)
    except AuthError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(
            reverse("portal-app", kwargs={"slug": slug, "client_id": client_id})
        )
    form = ClientEditForm.for_client(rotated.client)
    context = {"section": "apps", "client": rotated.client, "form": form, "new": rotated}
    return render(request, "oidc/portal_client.html", context)
