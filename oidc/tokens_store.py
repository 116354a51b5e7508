"""Codes and tokens at rest: stored as digests, claimed atomically, families revoked on replay.

A code or refresh token is claimed with one conditional UPDATE, so of two concurrent
requests with the same value the database lets exactly one through; the loser is treated as
a replay (RFC 6749 §4.1.2, OAuth 2.0 Security BCP §4.14) and revokes what the value issued.

When the core ends a user's sessions (a recovery, removed passkeys, an admin's reset or wipe,
disabling), ``user_grants_end`` ends the user's tokens and pending codes in the same
transaction. A claim first locks the user's row, as ``end_other_sessions`` does, and the token
endpoint holds that lock until the new token is saved: a code or refresh token being redeemed
at that very moment either finishes first (and its token is revoked with the others) or sees
itself revoked.
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from auth_methods.audit import SYSTEM, audit_record
from auth_methods.models import User
from oidc.models import AuthorizationCode, Client, Token, digest

# A refresh token lives 30 days; spent codes and dead tokens are kept a day past their end so
# that a late replay is still recognised (and still revokes), then purged.
REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
KEEP_SPENT = timedelta(days=1)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def token_save(*, token: dict[str, Any], client: Client, user: User, source: object) -> Token:
    """Store a token response's access (and refresh) token, in the family of its source."""
    refresh = token.get("refresh_token")
    facts: AuthorizationCode | Token | None = (
        source if isinstance(source, AuthorizationCode | Token) else None
    )
    return Token.objects.create(
        client=client,
        user=user,
        scope=str(token.get("scope") or ""),
        access_digest=digest(token["access_token"]),
        refresh_digest=digest(refresh) if refresh else None,
        issued_at=int(time.time()),
        expires_in=int(token.get("expires_in") or 0),
        family=facts.family if facts else uuid.uuid4(),
        auth_time=facts.auth_time if facts else int(time.time()),
        amr=list(facts.amr) if facts else [],
        acr=facts.acr if facts else "",
    )


def user_grants_end(sender: object, *, user: User, at: datetime, **kwargs: Any) -> None:
    """``sessions_ended`` receiver: every live token of ``user`` is revoked (userinfo answers
    invalid_token, the refresh token invalid_grant) and every pending code expires."""
    Token.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=at)
    AuthorizationCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=at).update(
        expires_at=at
    )


def _lock_user(user_id: int) -> None:
    User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True).first()


def family_revoke(family: uuid.UUID) -> int:
    return Token.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _replayed(kind: str, *, client: Client, user_id: int, family: uuid.UUID) -> None:
    revoked = family_revoke(family)
    audit_record(
        actor=SYSTEM,
        action=f"oidc.{kind}_replayed",
        outcome="failure",
        code="invalid_grant",
        subject=User.objects.filter(pk=user_id).first(),
        data={"client_id": client.client_id, "revoked_tokens": revoked},
    )


def code_claim(*, code: str, client: Client) -> AuthorizationCode | None:
    """The unexpired, unused code issued to ``client``, now marked used; None otherwise.
    A code used before revokes every token it led to."""
    if not isinstance(code, str) or len(code) > 200:
        return None
    found = (
        AuthorizationCode.objects.select_related("user")
        .filter(code_digest=digest(code), client=client)
        .first()
    )
    if found is None:
        return None
    with transaction.atomic():
        _lock_user(found.user_id)
        claimed = AuthorizationCode.objects.filter(pk=found.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        found.refresh_from_db(fields=["expires_at"])  # as the lock left it: maybe ended
    if not claimed:
        _replayed("code", client=client, user_id=found.user_id, family=found.family)
        return None
    if found.expires_at <= timezone.now():
        return None
    return found


def refresh_claim(*, refresh_token: str, client: Client) -> Token | None:
    """The live token whose refresh token this is, now spent; a spent or revoked one revokes
    its whole family (the legitimate holder and a thief can no longer both go on)."""
    if not isinstance(refresh_token, str) or len(refresh_token) > 200:
        return None
    found = (
        Token.objects.select_related("user", "client")
        .filter(refresh_digest=digest(refresh_token), client=client)
        .first()
    )
    if found is None:
        return None
    with transaction.atomic():
        _lock_user(found.user_id)
        claimed = Token.objects.filter(
            pk=found.pk, refresh_used_at__isnull=True, revoked_at__isnull=True
        ).update(refresh_used_at=timezone.now())
    if not claimed:
        # Unspent but revoked (the user's sessions ended, the client was disabled): refused,
        # and no replay: nobody used it before.
        found.refresh_from_db(fields=["refresh_used_at"])
        if found.refresh_used_at is not None:
            _replayed("refresh_token", client=client, user_id=found.user_id, family=found.family)
        return None
    if found.issued_at + REFRESH_TOKEN_SECONDS < time.time():
        return None
    return found


def oidc_purge_expired() -> int:
    """Delete codes and tokens that can no longer be used nor usefully replayed."""
    now = timezone.now()
    codes, _ = AuthorizationCode.objects.filter(expires_at__lt=now - KEEP_SPENT).delete()
    cutoff = int(time.time() - REFRESH_TOKEN_SECONDS - KEEP_SPENT.total_seconds())
    tokens, _ = Token.objects.filter(issued_at__lt=cutoff).delete()
    return codes + tokens
