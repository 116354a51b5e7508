"""The platform's sign-up pages (platform host): a thin door over auth_methods.org_signup."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from auth_methods.errors import AuthError
from auth_methods.org_signup import signup_confirm, signup_mode, signup_request, slug_check

STATUS = {"rate_limited": 429, "forbidden": 403}


class SignupForm(forms.Form):
    org_name = forms.CharField(label="Organisation name", max_length=200)
    slug = forms.CharField(
        label="Address",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label="Your email (the first admin)",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    invitation = forms.CharField(label="Invitation code", max_length=64, required=False)


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    mode = signup_mode()
    form = SignupForm(request.POST or None)
    context = {"form": form, "mode": mode, "base_domain": settings.BASE_DOMAIN}
    if mode == "closed":
        return render(
            request, "signup/closed.html", status=403 if request.method == "POST" else 200
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signup_request(
                org_name=data["org_name"],
                slug=data["slug"],
                email=data["email"],
                invitation=data["invitation"],
                ip=_client_ip(request),
            )
        except AuthError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
            return render(request, "signup/form.html", context, status=STATUS.get(exc.code, 400))
        return render(request, "signup/sent.html", {"email": data["email"]})
    return render(request, "signup/form.html", context, status=400 if form.errors else 200)


@require_GET
def slug_availability(request: HttpRequest) -> JsonResponse:
    verdict = slug_check(request.GET.get("slug", ""))
    return JsonResponse(
        {
            "slug": verdict.slug,
            "available": verdict.available,
            "reason": verdict.reason,
            "suggestions": verdict.suggestions,
        }
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, request_id: UUID, token: str) -> HttpResponse:
    # GET only shows the page: mail scanners that follow links must not create the org.
    if request.method == "GET":
        return render(request, "signup/confirm.html")
    try:
        handover = signup_confirm(request_id=str(request_id), token=token, ip=_client_ip(request))
    except AuthError as exc:
        return render(request, "signup/confirm.html", {"error": exc.detail}, status=400)
    return HttpResponseRedirect(handover.url)
