"""The two emails of an organisation's self sign-up, written to its outbox in the caller's
transaction. They go to an address that may have no account yet, so they are built here
rather than from a user as the security emails are."""

from __future__ import annotations

import re

from auth_methods.models import OutboxMessage, User
from auth_methods.outbox import LINK_PLACEHOLDER, outbox_enqueue
from tenants.context import current_org

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _org_name() -> str:
    org = current_org()
    # An org name must not break the plain-text layout or the subject header.
    return _CONTROL.sub(" ", org.name).strip() if org is not None else "Passgate"


def _enqueue(
    *, kind: str, to: str, subject: str, lines: list[str], link: str | None = None
) -> OutboxMessage:
    org_name = _org_name()
    body = "\n\n".join(["Hello,", *lines, f"Organisation: {org_name}.", "-- Passgate"])
    # The link is kept encrypted by the outbox and written into the body only when sent.
    return outbox_enqueue(
        kind=kind, to_email=to, subject=f"[{org_name}] {subject}", body=body + "\n", link=link
    )


def mail_signup_link(address: str, url: str, *, hours: int) -> OutboxMessage:
    """The link that proves the address and creates the account: it signs its holder in."""
    return _enqueue(
        kind="signup_link",
        to=address,
        subject="Confirm your email to create your account",
        lines=[
            f"Someone (hopefully you) asked to create an account at {_org_name()} with this "
            f"address. Open this link within {hours} hour(s) to create it and set up your "
            "passkey (it works once):",
            LINK_PLACEHOLDER,
            "If this was not you, ignore this email: nothing is created without the link. "
            "Never forward it.",
        ],
        link=url,
    )


def mail_account_exists(user: User, base_url: str) -> OutboxMessage:
    """The answer to a sign-up with an address that already has an account: where to go."""
    return _enqueue(
        kind="signup_account_exists",
        to=user.email,
        subject="You already have an account",
        lines=[
            "Someone (hopefully you) asked to create an account with this address, but it "
            f"already has one. Sign in at {base_url}/login, or if you lost your passkey, get "
            f"back in at {base_url}/recover.",
            "If this was not you, you can ignore this email: nothing was changed.",
        ],
    )
