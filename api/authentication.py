from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from auth_methods.api_keys import api_key_authenticate
from auth_methods.models import ApiKey


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <key>``; the key must belong to the host's organisation."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        key = api_key_authenticate(secret.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is not valid for this organisation.")
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="passgate"'


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """The browser's session cookie, with Django's CSRF check on unsafe methods."""

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to an unauthenticated call, as the contract says.
        return 'Bearer realm="passgate"'
