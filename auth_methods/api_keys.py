"""API keys: the one service that creates, finds and revokes them, for the portal, the REST
API and the CLI alike. A key's secret is shown once, stored only as a digest, and every
creation and revocation is audited the same whatever the door."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from auth_methods.audit import Actor, audit_record
from auth_methods.errors import AuthError
from auth_methods.models import ApiKey
from auth_methods.reauth import require_recent_auth

KEY_PREFIX = "pgk"
SCOPES = ("admin",)
# Writing last_used_at on every call would add a write to every ceremony; a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Keys are looked up on every call; the row is cached per org (the cache key carries the
# schema). Revocation empties the entry; other processes see it within this many seconds
# unless PASSGATE_CACHE_URL points all processes at one shared cache.
KEY_CACHE_SECONDS = 30


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    secret: str  # the whole key, shown once and never stored


def _digest(secret: str) -> str:
    # The secret holds 256 random bits, so a fast hash is safe here (no brute force possible).
    return hashlib.sha256(secret.encode()).hexdigest()


def _cache_key(lookup: str) -> str:
    return f"api-key:{lookup}"


def api_key_create(*, actor: Actor, name: str, scopes: list[str]) -> NewApiKey:
    """Create a key in the current organisation and record "api_key.create"; the secret is
    returned once to the caller and never reaches the database or the audit log."""
    require_recent_auth(actor)
    name = name.strip()
    if not name or len(name) > 100:
        raise AuthError.of(
            "invalid_request", "The key name must be 1-100 characters.", field="name"
        )
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise AuthError.of("invalid_request", f"Unknown scope {unknown[0]!r}.", field="scopes")
    lookup = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}_{lookup}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name,
            lookup=lookup,
            digest=_digest(secret),
            scopes=sorted(set(scopes)),
            created_by=actor.user if actor.user is not None and actor.user.pk else None,
        )
        audit_record(
            actor=actor,
            action="api_key.create",
            data={"key": key.lookup, "name": key.name, "scopes": key.scopes},
        )
    return NewApiKey(key=key, secret=secret)


def api_key_revoke(*, actor: Actor, key: ApiKey) -> bool:
    """Revoke ``key`` and record "api_key.revoke"; False (and no event) if it already was."""
    require_recent_auth(actor)
    with transaction.atomic():
        # The row lock makes two simultaneous revokes write one event, not two.
        locked = ApiKey.objects.select_for_update().filter(pk=key.pk).first()
        if locked is None or locked.revoked_at is not None:
            return False
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_key.revoke",
            data={"key": locked.lookup, "name": locked.name},
        )
    cache.delete(_cache_key(locked.lookup))
    key.revoked_at = locked.revoked_at
    return True


def api_key_authenticate(secret: str) -> ApiKey | None:
    """The live key of the current organisation matching ``secret``, or None.

    A key of another organisation has no row in this schema, so it is simply not found.
    """
    parts = secret.split("_", 2)  # the random part may itself hold "_"
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    cache_key = _cache_key(parts[1])
    key: ApiKey | None = cache.get(cache_key)
    if key is None:
        key = ApiKey.objects.filter(lookup=parts[1], revoked_at__isnull=True).first()
        if key is None:
            return None
        cache.set(cache_key, key, KEY_CACHE_SECONDS)
    if not hmac.compare_digest(key.digest, _digest(secret)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
        cache.set(cache_key, key, KEY_CACHE_SECONDS)
    return key


def api_keys_list() -> list[ApiKey]:
    return list(ApiKey.objects.select_related("created_by"))


def api_key_by_id(key_id: int) -> ApiKey | None:
    return ApiKey.objects.filter(pk=key_id).first()
