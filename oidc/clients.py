"""OpenID Connect clients: the one service behind the portal, the admin API and the CLI.

Every change is audited; a secret is returned once and stored only as a digest.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from auth_methods.audit import Actor, audit_record
from auth_methods.errors import AuthError
from auth_methods.reauth import require_recent_auth
from auth_methods.tokens import ensure_signing_key
from oidc.claims import SCOPES
from oidc.models import Client, Token, digest

MAX_URIS = 10
MAX_URI_LENGTH = 1000
DEFAULT_SCOPES = ["openid", "profile", "email", "offline_access"]
_LOOPBACK = {"localhost", "127.0.0.1", "[::1]"}
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class ClientWithSecret:
    client: Client
    secret: str | None  # shown once; None for a public client


def _bad(field: str, detail: str) -> AuthError:
    return AuthError.of("invalid_request", f"{field}: {detail}", field=field)


def _uris(field: str, values: Iterable[object], *, required: bool) -> list[str]:
    """Absolute https URIs (http only on a loopback or *.localhost host), no fragment: an
    exact list, since a redirect URI is compared character for character."""
    uris = list(dict.fromkeys(values))
    if required and not uris:
        raise _bad(field, "at least one URI is required.")
    if len(uris) > MAX_URIS:
        raise _bad(field, f"at most {MAX_URIS} URIs.")
    for uri in uris:
        if not isinstance(uri, str) or not uri or len(uri) > MAX_URI_LENGTH:
            raise _bad(field, "each URI must be a non-empty string.")
        parts = urlsplit(uri)
        host = (parts.hostname or "").lower()
        local = host in _LOOPBACK or host.endswith(".localhost") or host == "localhost"
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
            raise _bad(field, f"{uri!r} is not an absolute http(s) URI without a fragment.")
        if parts.scheme == "http" and not local:
            raise _bad(field, f"{uri!r}: http is allowed for localhost only; use https.")
        if parts.username or parts.password:
            raise _bad(field, f"{uri!r} must not carry credentials.")
    return [str(uri) for uri in uris]


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in changes:
        name = changes["name"]
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
            raise _bad("name", "1-100 characters.")
        clean["name"] = name.strip()
    if "redirect_uris" in changes:
        clean["redirect_uris"] = _uris("redirect_uris", changes["redirect_uris"], required=True)
    if "post_logout_redirect_uris" in changes:
        clean["post_logout_redirect_uris"] = _uris(
            "post_logout_redirect_uris", changes["post_logout_redirect_uris"], required=False
        )
    if "scopes" in changes:
        scopes = list(dict.fromkeys(changes["scopes"]))
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown or "openid" not in scopes:
            raise _bad("scopes", f"a subset of {', '.join(SCOPES)} that includes openid.")
        clean["scopes"] = scopes
    for flag in ("third_party", "active"):
        if flag in changes:
            if not isinstance(changes[flag], bool):
                raise _bad(flag, "true or false.")
            clean[flag] = changes[flag]
    if "id_token_alg" in changes:
        if changes["id_token_alg"] not in Client.Alg.values:
            raise _bad("id_token_alg", "ES256 or RS256.")
        clean["id_token_alg"] = changes["id_token_alg"]
    return clean


def describe(client: Client) -> dict[str, Any]:
    """A client as the audit log and the admin API show it (never a secret)."""
    return {
        "client_id": client.client_id,
        "name": client.name,
        "public": client.public,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "scopes": list(client.scopes),
        "third_party": client.third_party,
        "id_token_alg": client.id_token_alg,
        "active": client.active,
    }


def client_create(
    *,
    actor: Actor,
    name: str,
    redirect_uris: list[str],
    public: bool = False,
    post_logout_redirect_uris: list[str] | None = None,
    scopes: list[str] | None = None,
    third_party: bool = False,
    id_token_alg: str = Client.Alg.ES256,
) -> ClientWithSecret:
    require_recent_auth(actor)
    fields = _clean(
        {
            "name": name,
            "redirect_uris": redirect_uris,
            "post_logout_redirect_uris": post_logout_redirect_uris or [],
            "scopes": scopes or DEFAULT_SCOPES,
            "third_party": third_party,
            "id_token_alg": id_token_alg,
        }
    )
    secret = None if public else secrets.token_urlsafe(32)
    with transaction.atomic():
        client = Client.objects.create(
            client_id=secrets.token_urlsafe(18),
            public=public,
            secret_digest=digest(secret) if secret else "",
            **fields,
        )
        ensure_signing_key(client.id_token_alg)  # in JWKS before the first ID token
        audit_record(actor=actor, action="oidc_client.create", data=describe(client))
    return ClientWithSecret(client=client, secret=secret)


def client_update(*, actor: Actor, client: Client, changes: dict[str, Any]) -> Client:
    """All or nothing; disabling a client also ends every token it holds."""
    require_recent_auth(actor)
    fields = _clean(changes)
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        old = describe(locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        if "id_token_alg" in fields:
            ensure_signing_key(locked.id_token_alg)
        if fields.get("active") is False:
            _revoke_all(locked)
        new = describe(locked)
        changed = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
        audit_record(
            actor=actor,
            action="oidc_client.update",
            data={"client_id": locked.client_id, "changes": changed},
        )
    return locked


def client_rotate_secret(*, actor: Actor, client: Client) -> ClientWithSecret:
    """A new secret, shown once; the old one stops working at once."""
    require_recent_auth(actor)
    if client.public:
        raise _bad("public", "a public client has no secret.")
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        Client.objects.filter(pk=client.pk).update(secret_digest=digest(secret))
        audit_record(
            actor=actor, action="oidc_client.rotate_secret", data={"client_id": client.client_id}
        )
    client.refresh_from_db()
    return ClientWithSecret(client=client, secret=secret)


def _revoke_all(client: Client) -> None:
    from django.utils import timezone

    Token.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=timezone.now())


def client_get(client_id: str) -> Client | None:
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        return None  # not one we issued (and no NUL or oddity reaches the database)
    found: Client | None = Client.objects.filter(client_id=client_id).first()
    return found
