"""People sign up by themselves on an organisation's host, when its policy lets them.

An address is proven by a link mailed to it; following the link creates a passwordless
member, whom the caller signs in once to register a passkey at once. Nothing about a link is
stored: its token is the address and the time of issue, signed with the server's secret
under a salt of this organisation (``django.core.signing``), so a database dump holds no
usable link, and another organisation's link is forged here. A link is spent once it has
made an account: the address is then taken (the unique email decides two racing uses), and
the audit log keeps a digest of every link that made one, so a link cannot make the account
again after an admin deleted it.

The request's answer is the same whether or not the address has an account, and both are
counted alike against the budgets: an existing active person is mailed that they already
have an account (where to sign in or recover), so someone who forgot learns it, and only
the owner of the address does. A disabled person is mailed nothing: an admin closed that
account, and sign-up must not offer a way around it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from datetime import timedelta

from django.core import signing
from django.db import connection, transaction

from auth_methods import policy_checks as checks
from auth_methods.addresses import email_address
from auth_methods.audit import Actor, Via, audit_record
from auth_methods.budgets import budgets_spend
from auth_methods.errors import AuthError
from auth_methods.models import AuditEvent, User
from auth_methods.policy import OrgPolicy
from auth_methods.signup_mails import mail_account_exists, mail_signup_link
from auth_methods.users import user_create

LINK_TTL = timedelta(hours=1)
# 10 sign-ups per client address and 3 per email address, per hour: a person who mistyped
# or lost the mail gets through; a script that floods one inbox or a whole domain does not.
PER_CLIENT = (10, 3600)
PER_ADDRESS = (3, 3600)
REQUEST = "user_signup.request"
CONFIRM = "user_signup.confirm"


def user_signup_open(policy: OrgPolicy) -> bool:
    return checks.self_signup_open(policy)


def _require_open(policy: OrgPolicy) -> None:
    if not user_signup_open(policy):
        raise AuthError.of("not_found", "This organisation does not take sign-ups.")


def _salt() -> str:
    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants
    return f"passgate.user-signup:{schema}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _audit_failure(actor: Actor, action: str, exc: AuthError, data: dict[str, str]) -> None:
    audit_record(
        actor=actor, action=action, outcome=AuditEvent.Outcome.FAILURE, code=exc.code, data=data
    )


def user_signup_request(*, policy: OrgPolicy, actor: Actor, email: str, base_url: str) -> None:
    """Mail a sign-up link to ``email`` (or, when it has an account, say so to it).

    ``base_url`` must be the organisation's own origin, never a client-supplied host: the
    link signs its holder in. ``not_found`` while sign-up is off, ``invalid_request`` for an
    address that cannot be mailed, ``rate_limited`` past the budgets; every attempt is
    audited, the refused ones too.
    """
    _require_open(policy)
    typed = {"email": email.strip()[:254]}
    try:
        address = email_address(email)
        if address is None:
            raise AuthError.of("invalid_request", "Enter your email address.", field="email")
        budgets = [(f"rl:user-signup:email:{address}", PER_ADDRESS)]
        if actor.ip is not None:
            budgets.append((f"rl:user-signup:ip:{actor.ip}", PER_CLIENT))
        budgets_spend(budgets, "Too many sign-ups from here; try again in an hour.")
    except AuthError as exc:
        _audit_failure(actor, REQUEST, exc, typed)
        raise
    existing = User.objects.filter(email=address).first()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=REQUEST,
            subject=existing,
            data={"email": address, "existing": existing is not None},
        )
        if existing is None:
            token = signing.dumps({"e": address, "n": secrets.token_hex(8)}, salt=_salt())
            url = f"{base_url.rstrip('/')}/signup/confirm/{token}"
            mail_signup_link(address, url, hours=int(LINK_TTL / timedelta(hours=1)))
        elif existing.is_active:
            mail_account_exists(existing, base_url.rstrip("/"))


def _address_of(token: str) -> str:
    try:
        payload = signing.loads(token, salt=_salt(), max_age=LINK_TTL)
    except signing.SignatureExpired:
        raise AuthError("challenge_expired", "This link has expired; sign up again.") from None
    except signing.BadSignature:
        raise AuthError("challenge_invalid", "This sign-up link is unknown.") from None
    address = payload.get("e") if isinstance(payload, dict) else None
    if not isinstance(address, str) or email_address(address) != address:
        raise AuthError("challenge_invalid", "This sign-up link is unknown.")
    return address


_SPENT = "This link was already used: sign in instead."


def user_signup_confirm(*, policy: OrgPolicy, actor: Actor, token: str) -> User:
    """Create the passwordless member a sign-up link names and return them; the caller signs
    them in to register their passkey.

    ``not_found`` while sign-up is off; ``challenge_invalid`` for a forged, foreign or spent
    link; ``challenge_expired`` past its hour. Failures are audited after the rollback."""
    _require_open(policy)
    digest = _digest(token)
    try:
        address = _address_of(token)
        spent = AuditEvent.objects.filter(
            action=CONFIRM, outcome=AuditEvent.Outcome.SUCCESS, data__link=digest
        )
        if spent.exists():
            raise AuthError("challenge_invalid", _SPENT)
        # The verified link is the credential here, not a browser session: the service
        # creates the account on its strength, so no recent sign-in is asked of it.
        creator = replace(actor, via=Via.SYSTEM)
        with transaction.atomic():
            try:
                user = user_create(email=address, role=User.Role.MEMBER, actor=creator)
            except AuthError as exc:
                if exc.field != "email":
                    raise
                # The address has an account: this link's, or a racing use's.
                raise AuthError("challenge_invalid", _SPENT) from None
            User.objects.filter(pk=user.pk).update(passkey_enrolment_required=True)
            user.passkey_enrolment_required = True
            audit_record(actor=actor, action=CONFIRM, subject=user, data={"link": digest})
            return user
    except AuthError as exc:
        _audit_failure(actor, CONFIRM, exc, {"link": digest})
        raise
