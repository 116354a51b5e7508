from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.context import actor_for, api_key_of, session_user_of
from auth_methods.rights import is_admin

if TYPE_CHECKING:  # rest_framework.views imports this module through settings
    from rest_framework.views import APIView


class IsCaller(BasePermission):
    """An API key of this organisation, or a signed-in user of it."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return api_key_of(request) is not None or session_user_of(request) is not None


class IsOrgAdmin(BasePermission):
    """An ``admin``-scope API key, or a signed-in org admin."""

    message = "This needs an API key with the admin scope or a signed-in organisation admin."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_admin(actor_for(request))  # the portal asks the same rule


class IsKeyOrBrowser(BasePermission):
    """Ceremonies that sign people in: an API key, or a browser (signed in or not) that
    passes Django's CSRF check. DRF only checks CSRF for signed-in sessions, so here we
    check it for anonymous browsers too."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if api_key_of(request) is not None:
            return True
        from rest_framework.authentication import SessionAuthentication

        SessionAuthentication().enforce_csrf(request)
        return True
