"""Security emails: one function per event, each written to the outbox in the caller's
transaction. Bodies are plain text and carry no secret; the sign-in links are the single
exception: they only ever go to the account's own address, and the outbox keeps them
encrypted until the moment of sending (auth_methods.outbox)."""

from __future__ import annotations

import re

from django.utils import timezone

from auth_methods.models import OutboxMessage, User
from auth_methods.outbox import LINK_PLACEHOLDER, outbox_enqueue
from tenants.context import current_org

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_NOT_YOU = (
    "If this was not you, contact your organisation's administrator right away: "
    "someone else may have access to your account."
)


def _one_line(text: str) -> str:
    # User-supplied labels and org names must not break the plain-text layout or a header.
    return _CONTROL.sub(" ", text).strip()


def _notify(
    user: User, *, kind: str, subject: str, lines: list[str], link: str | None = None
) -> OutboxMessage | None:
    if "@" not in user.email:
        return None  # an integrator-chosen sign-in name, not an address we can write to
    org = current_org()
    org_name = _one_line(org.name) if org is not None else "Passgate"
    when = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    body = "\n\n".join(
        [
            f"Hello {_one_line(user.display_name) or user.email},",
            *lines,
            f"Account: {user.email} at {org_name}. Time: {when}.",
            "-- Passgate",
        ]
    )
    return outbox_enqueue(
        kind=kind,
        to_email=user.email,
        subject=f"[{org_name}] {subject}",
        body=body + "\n",
        link=link,
    )


def notify_passkey_added(user: User, label: str) -> OutboxMessage | None:
    return _notify(
        user,
        kind="passkey_added",
        subject="A passkey was added to your account",
        lines=[f'A passkey named "{_one_line(label)}" was added to your account.', _NOT_YOU],
    )


def notify_passkey_removed(user: User, label: str) -> OutboxMessage | None:
    return _notify(
        user,
        kind="passkey_removed",
        subject="A passkey was removed from your account",
        lines=[
            f'The passkey named "{_one_line(label)}" was removed from your account; '
            "it can no longer be used to sign in.",
            _NOT_YOU,
        ],
    )


def notify_totp_enabled(user: User) -> OutboxMessage | None:
    return _notify(
        user,
        kind="totp_enabled",
        subject="An authenticator app was set up",
        lines=["An authenticator app now gives codes for your account.", _NOT_YOU],
    )


def notify_totp_disabled(user: User) -> OutboxMessage | None:
    return _notify(
        user,
        kind="totp_disabled",
        subject="Your authenticator app was removed",
        lines=["Your authenticator app no longer gives codes for your account.", _NOT_YOU],
    )


def notify_recovery_codes_regenerated(user: User) -> OutboxMessage | None:
    return _notify(
        user,
        kind="recovery_codes_regenerated",
        subject="New recovery codes were made",
        lines=[
            "New recovery codes were made for your account; the old ones no longer work.",
            _NOT_YOU,
        ],
    )


def notify_password_changed(user: User, *, first: bool) -> OutboxMessage | None:
    if first:
        subject, line = "A password was set", "A password was set for your account."
    else:
        subject, line = "Your password was changed", "The password of your account was changed."
    return _notify(
        user,
        kind="password_changed",
        subject=subject,
        lines=[line, "Every other device signed in to your account was signed out.", _NOT_YOU],
    )


def notify_password_removed(user: User) -> OutboxMessage | None:
    return _notify(
        user,
        kind="password_removed",
        subject="Your password was removed",
        lines=[
            "Your account no longer has a password: you sign in with your passkey.",
            "Every other device signed in to your account was signed out.",
            _NOT_YOU,
        ],
    )


def notify_recovery_link(user: User, url: str) -> OutboxMessage | None:
    """The one email with a secret in it: the link signs its holder in, so it goes only to
    the account's own address and works once, for a few minutes."""
    from auth_methods.recovery import LINK_TTL  # recovery.py imports this module

    minutes = int(LINK_TTL.total_seconds()) // 60
    return _notify(
        user,
        kind="recovery_link",
        subject="Your account recovery link",
        lines=[
            "Someone asked to recover your account. To sign in and set up a new passkey, "
            f"open this link within {minutes} minutes (it works once):",
            LINK_PLACEHOLDER,
            "If you did not ask for it, ignore this email: without the link nothing changes. "
            "Never forward it.",
        ],
        link=url,
    )


def notify_registration_link(user: User, url: str, *, hours: int) -> OutboxMessage | None:
    return _notify(
        user,
        kind="registration_link",
        subject="Set up a passkey for your account",
        lines=[
            "An administrator of your organisation invites you to set up a passkey. Open this "
            f"link within {hours} hours (it works once) to sign in and add one:",
            LINK_PLACEHOLDER,
            "If you did not expect it, tell your administrator. Never forward this email.",
        ],
        link=url,
    )
