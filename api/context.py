"""Who is calling: the API key or signed-in user behind a DRF request, as an audit Actor."""

from __future__ import annotations

from rest_framework.request import Request

from auth_methods.audit import Actor, Via
from auth_methods.errors import AuthError
from auth_methods.models import ApiKey, User
from auth_methods.passkeys.services import CeremonyContext
from auth_methods.sessions import browser_actor
from auth_methods.sessions import client_ip as _client_ip
from tenants.models import Organisation


def client_ip(request: Request) -> str | None:
    return _client_ip(request._request)


def actor_for(request: Request) -> Actor:
    """An API key acts as itself; anything else is the browser's person (or nobody), built
    by the same code as the portal's actor, so the services ask both the same things."""
    key = api_key_of(request)
    if key is None:
        return browser_actor(request._request)
    return Actor(
        label=f"api_key:{key.lookup}",
        ip=client_ip(request),
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:500],
        via=Via.API_KEY,
        scopes=frozenset(key.scopes),
    )


def api_key_of(request: Request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def session_user_of(request: Request) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def request_org(request: Request) -> Organisation:
    """The organisation the routing middleware chose for this request's host."""
    org = getattr(request, "tenant", None)
    if not isinstance(org, Organisation) or org.pk is None:
        raise AuthError.of("not_found", "No organisation is served at this host.")
    return org


def request_origin(request: Request) -> str:
    """``scheme://host[:port]`` as this request reached us (the token's ``iss``)."""
    return f"{request.scheme}://{request.get_host()}"


def ceremony_context(request: Request) -> CeremonyContext:
    from auth_methods.settings_service import policy_for

    return CeremonyContext(policy=policy_for(request_org(request)), actor=actor_for(request))
