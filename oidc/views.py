"""The OpenID Provider's doors on the org host: thin views over Authlib and oidc services."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote, urlencode

from authlib.common.urls import add_params_to_uri
from authlib.integrations.django_oauth2 import ResourceProtector
from authlib.integrations.django_oauth2.resource_protector import return_error_response
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6750 import BearerTokenValidator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.ratelimit import OIDC_TOKEN_PER_IP, authorize_oidc_token_request
from auth_methods.settings_service import policy_for
from auth_methods.sign_in_facts import sign_in_facts
from oidc import consent
from oidc.claims import user_claims
from oidc.decisions import Action, decide, parse_params
from oidc.inputs import plain_parameters
from oidc.models import Token, digest
from oidc.passkey_step import passkey_step_options
from oidc.provider import issuer_of, org_of, server_for

STARTED = "pg_sign_in_started"  # our marker: when this request first sent the user to sign in


def _signed_in(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated and user.is_active else None


def _error_page(request: HttpRequest, error: str, description: str) -> HttpResponse:
    """An error whose redirect URI is unknown or unregistered: shown here, never redirected."""
    return render(
        request, "oidc/error.html", {"error": error, "description": description}, status=400
    )


def _redirect_error(
    request: HttpRequest, redirect_uri: str, error: str, detail: str
) -> HttpResponse:
    params = [("error", error), ("error_description", detail)]
    if state := request.GET.get("state"):
        params.append(("state", state))
    params.append(("iss", issuer_of(request)))  # RFC 9207, on errors too
    return HttpResponseRedirect(add_params_to_uri(redirect_uri, params))


def _back_here(request: HttpRequest) -> str:
    query = request.GET.copy()
    query[STARTED] = str(time.time_ns() // 1_000_000)
    return f"{request.path}?{query.urlencode()}"


@require_http_methods(["GET", "POST"])
@plain_parameters(page=True)
def authorize(request: HttpRequest) -> HttpResponse:
    server = server_for(request)
    user = _signed_in(request)
    try:
        grant = server.get_consent_grant(request, end_user=user)
    except OAuth2Error as error:
        if not error.redirect_uri:
            return _error_page(request, error.error, error.description or "")
        response: HttpResponse = server.handle_error_response(request, error)
        response["Location"] = add_params_to_uri(
            response["Location"], {"iss": server.provider.issuer}
        )
        return response
    params = parse_params(grant.request.payload.data, started=request.GET.get(STARTED))
    if isinstance(params, str):
        return _redirect_error(request, grant.redirect_uri, "invalid_request", params)
    client = grant.request.client
    facts = sign_in_facts(request) if user else None
    decision = decide(
        params,
        signed_in=user is not None,
        facts=facts,
        now=int(time.time()),
        consent_needed=user is not None and consent.needed(client, user, grant.request.scope),
        passkeys_allowed=policy_for(org_of(request)).passkey_login_enabled,
    )
    if decision.action is Action.ERROR:
        return _redirect_error(request, grant.redirect_uri, decision.error, decision.description)
    if decision.action in (Action.LOGIN, Action.PASSKEY):
        page = "/login" if decision.action is Action.LOGIN else "/oidc/passkey"
        query = {"next": _back_here(request)}
        if hint := request.GET.get("login_hint"):
            query["login_hint"] = hint[:254]
        return HttpResponseRedirect(f"{page}?{urlencode(query, quote_via=quote)}")
    assert user is not None and facts is not None  # noqa: S101 (decide grants signed-in only)
    if decision.action is Action.CONSENT:
        refused = _consent_step(request, grant, user)
        if refused is not None:
            return refused
    server.sign_in = facts
    granted: HttpResponse = server.create_authorization_response(
        request, grant_user=user, grant=grant
    )
    return granted


def _consent_step(request: HttpRequest, grant: Any, user: User) -> HttpResponse | None:
    """The consent page, or the user's answer to it; None once consent is given."""
    answer = request.POST.get("decision") if request.method == "POST" else None
    if answer is None:
        return render(
            request,
            "oidc/consent.html",
            {"client": grant.request.client, "scopes": grant.request.scope.split()},
        )
    if answer != "allow":
        return _redirect_error(request, grant.redirect_uri, "access_denied", "The user declined.")
    consent.grant(client=grant.request.client, user=user, scope=grant.request.scope)
    return None


@csrf_exempt
@require_POST
@plain_parameters(page=False)
def token(request: HttpRequest) -> HttpResponse:
    try:
        authorize_oidc_token_request(request.META.get("REMOTE_ADDR"))
    except AuthError:
        response = JsonResponse(
            {"error": "invalid_request", "error_description": "Too many requests."}, status=429
        )
        response["Retry-After"] = str(OIDC_TOKEN_PER_IP[1])
        return response
    # One transaction: the user's row locked by the claim stays locked until the token is
    # saved, so that ending the user's sessions cannot fall between the two (tokens_store).
    with transaction.atomic():
        answer: HttpResponse = server_for(request).create_token_response(request)
    return answer


class _AccessTokens(BearerTokenValidator):  # type: ignore[misc]
    def authenticate_token(self, token_string: str) -> Token | None:
        found: Token | None = (
            Token.objects.select_related("user", "client")
            .filter(access_digest=digest(token_string))
            .first()
        )
        return found


@csrf_exempt
@require_http_methods(["GET", "POST"])
@plain_parameters(page=False)
def userinfo(request: HttpRequest) -> HttpResponse:
    protector = ResourceProtector()
    protector.register_token_validator(_AccessTokens())
    try:
        access = protector.acquire_token(request, ["openid"])
    except OAuth2Error as error:
        failed: HttpResponse = return_error_response(error)
        return failed
    if not access.user.is_active or not access.client.active:
        return JsonResponse({"error": "invalid_token"}, status=401)
    return JsonResponse(user_claims(access.user, access.scope))


@csrf_exempt
@require_POST
@plain_parameters(page=False)
def revoke(request: HttpRequest) -> HttpResponse:
    answer: HttpResponse = server_for(request).create_endpoint_response("revocation", request)
    return answer


@require_http_methods(["GET", "POST"])
@plain_parameters(page=True)
def logout(request: HttpRequest) -> HttpResponse:
    """RP-initiated logout; without an ``id_token_hint`` the person confirms first."""
    server = server_for(request)
    try:
        ending = server.validate_endpoint_request("end_session", request)
    except OAuth2Error as error:
        return _error_page(request, error.error, error.description or "")
    if ending.needs_confirmation and request.method == "GET":
        return render(request, "oidc/logout_confirm.html", {"client": ending.client})
    response: HttpResponse | None = server.create_endpoint_response("end_session", ending)
    return response or render(request, "oidc/logged_out.html")


@require_GET
@plain_parameters(page=True)
def passkey(request: HttpRequest) -> HttpResponse:
    """The phishing-resistant step an app asked for: a passkey, verifying the user."""
    next_path = request.GET.get("next", "")
    if not next_path.startswith("/oidc/authorize?"):
        next_path = "/"
    return render(
        request,
        "oidc/passkey.html",
        {"next": next_path, "passkey_options": passkey_step_options(request)},
    )
