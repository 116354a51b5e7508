"""Account recovery by an emailed link: short-lived, single-use, stored only as a hash.

The link signs its holder in so that they can enrol a new passkey; the old ones can then be
revoked. Whether an address has an account is never revealed by these functions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone

from auth_methods import policy_checks as checks
from auth_methods.audit import Actor, audit_record
from auth_methods.budgets import budgets_spend
from auth_methods.encoding import b64url_encode
from auth_methods.errors import AuthError
from auth_methods.factors import PASSKEY, usable_factors
from auth_methods.models import AuditEvent, Passkey, RecoveryLink, User
from auth_methods.notifications import (
    notify_passkey_removed,
    notify_recovery_link,
    notify_registration_link,
)
from auth_methods.policy import OrgPolicy
from auth_methods.reauth import require_recent_auth
from auth_methods.session_revocation import end_other_sessions
from tenants.context import current_org
from tenants.selectors import org_origins

LINK_TTL = timedelta(minutes=15)
# An admin's registration link answers no request of the user's own: it must last until they
# read their mail.
REGISTRATION_LINK_TTL = timedelta(hours=24)
TOKEN_BYTES = 32
# 5 recovery emails per address and 20 per IP address, per hour: enough for a person who
# lost an email, too few to flood someone's inbox.
REQUESTS_PER_EMAIL = (5, 3600)
REQUESTS_PER_IP = (20, 3600)


def _token_hash(token: str) -> str:
    # A plain SHA-256 is enough: the token is 256 random bits, not a guessable password,
    # and a database leak then yields nothing that can be replayed.
    return hashlib.sha256(token.encode()).hexdigest()


def _authorize_request(email: str, ip: str | None) -> None:
    budgets = [(f"rl:recover:email:{email}", REQUESTS_PER_EMAIL)]
    if ip is not None:
        budgets.append((f"rl:recover:ip:{ip}", REQUESTS_PER_IP))
    budgets_spend(budgets, "Too many recovery requests; try again in 60 minutes.")


def recovery_link_request(*, actor: Actor, email: str, base_url: str) -> None:
    """Email a recovery link to ``email`` if it belongs to an active user of this org.

    Returns the same (nothing) for unknown, disabled and real accounts, and the rate limit
    counts them alike, so the answer tells a caller nothing about who has an account.
    ``base_url`` must be the org's own origin (never a client-supplied host): the link is
    a sign-in credential. A new link replaces any older unused one.
    """
    normalized = email.strip().lower()
    _authorize_request(normalized, actor.ip)
    user = User.objects.filter(email=normalized, is_active=True).first()
    if user is None:
        return
    with transaction.atomic():
        token = link_issue(user, LINK_TTL)
        audit_record(actor=actor, action="recovery_link.request", subject=user)
        notify_recovery_link(user, f"{base_url.rstrip('/')}/recover/{token}")


def link_issue(user: User, ttl: timedelta) -> str:
    """A new link for ``user``, replacing any older unused one; returns its token."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    RecoveryLink.objects.filter(user=user, used_at__isnull=True).delete()
    RecoveryLink.objects.create(
        user=user, token_hash=_token_hash(token), expires_at=timezone.now() + ttl
    )
    return token


def registration_link_send(*, actor: Actor, user: User) -> None:
    """An org admin emails ``user`` a single-use link that signs them in once to register a
    passkey: onboarding, or a way back for someone whose password alone cannot pass the
    org's required second factor. Redeemed like a recovery link; it lasts 24 hours."""
    require_recent_auth(actor)
    if not user.is_active:
        raise AuthError("user_inactive", "This user is disabled: enable them first.")
    if "@" not in user.email:
        raise AuthError.of(
            "invalid_request", f"{user.email!r} is not an email address to send a link to."
        )
    org = current_org()
    if org is None:
        raise AuthError.of("not_found", "Registration links are sent from an organisation.")
    base_url = org_origins(org)[0]  # the org's own primary host, never a request's
    with transaction.atomic():
        token = link_issue(user, REGISTRATION_LINK_TTL)
        audit_record(actor=actor, action="registration_link.send", subject=user)
        notify_registration_link(
            user,
            f"{base_url}/invitation/{token}",
            hours=int(REGISTRATION_LINK_TTL / timedelta(hours=1)),
        )


def recovery_second_factor_due(policy: OrgPolicy, user: User) -> bool:
    """After a recovery link: the link restores the lost passkey, not the other factors. Where
    the org requires a second factor and the user still holds one that is not a passkey (an
    authenticator app, recovery codes), that one is asked before a full session starts."""
    return checks.recovery_second_step_due(
        policy,
        holds_other_factor=bool(usable_factors(user, policy=policy, without=PASSKEY)),
    )


def recovery_link_redeem(*, actor: Actor, token: str) -> User:
    """Use up a recovery link and return its user (the caller signs them in).

    ``challenge_invalid`` for an unknown or already used token (another org's tokens are
    unknown here), ``challenge_expired`` once it has expired, ``user_inactive`` for a disabled
    user. The row is locked, so of two concurrent redeems exactly one succeeds. A failure is
    audited after the rollback.
    """
    subject: User | None = None
    try:
        with transaction.atomic():
            link = (
                RecoveryLink.objects.select_for_update(of=("self",))
                .select_related("user")
                .filter(token_hash=_token_hash(token))
                .first()
            )
            if link is None or link.used_at is not None:
                raise AuthError(
                    "challenge_invalid", "This recovery link is unknown or was already used."
                )
            subject = link.user
            now = timezone.now()
            if now >= link.expires_at:
                raise AuthError(
                    "challenge_expired", "This recovery link has expired; ask for a new one."
                )
            if not subject.is_active:
                raise AuthError("user_inactive", "This user is disabled.")
            link.used_at = now
            link.save(update_fields=["used_at"])
            # Whoever else is signed in (perhaps the one who took the device) is signed out.
            end_other_sessions(subject)
            audit_record(actor=actor, action="recovery_link.redeem", subject=subject)
            return subject
    except AuthError as exc:
        audit_record(
            actor=actor,
            action="recovery_link.redeem",
            outcome=AuditEvent.Outcome.FAILURE,
            code=exc.code,
            subject=subject,
        )
        raise


def revoke_other_passkeys(
    *,
    actor: Actor,
    user: User,
    keep_ids: Iterable[int],
    keep_session: SessionBase | None = None,
) -> int:
    """Delete every passkey of ``user`` except ``keep_ids`` (after a recovery: the one just
    enrolled), so a lost or stolen authenticator stops working, and end every session but
    ``keep_session``. Audited, and each removal is emailed; returns how many were removed."""
    require_recent_auth(actor, recovery_allows=True)
    keep = sorted(set(keep_ids))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        doomed = list(Passkey.objects.filter(user=user).exclude(pk__in=keep))
        Passkey.objects.filter(pk__in=[p.pk for p in doomed]).delete()
        end_other_sessions(user, keep=keep_session)
        audit_record(
            actor=actor,
            action="passkey.revoke_others",
            subject=user,
            data={
                "removed": [b64url_encode(bytes(p.credential_id)) for p in doomed],
                "kept": keep,
            },
        )
        for passkey in doomed:
            notify_passkey_removed(user, passkey.label or "Passkey")
    return len(doomed)


def recovery_links_purge_expired() -> int:
    """Drop links past their expiry, used or not: they can no longer sign anyone in, and the
    audit log keeps the record of their request and use."""
    deleted, _ = RecoveryLink.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
