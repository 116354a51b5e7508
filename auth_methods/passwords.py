"""Password sign-in: the one place that checks a password against the org's policy."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password

from auth_methods import policy_checks as checks
from auth_methods.audit import Actor, audit_record
from auth_methods.errors import AuthError
from auth_methods.factors import holds_passwordless_factor
from auth_methods.models import AuditEvent, User
from auth_methods.policy import OrgPolicy
from auth_methods.ratelimit import attempt_succeeded, authorize_password_attempt

# Re-exported for the sign-in page: what follows a password is decided with the second step.
from auth_methods.second_factor import second_factor_needed as second_factor_needed

SIGN_IN = "password.sign_in"
REAUTHENTICATE = "password.reauthenticate"  # step-up: the signed-in person types it again

# Compared against when the email is unknown, so both paths cost one Argon2 hash.
_DUMMY_HASH = make_password("passgate-no-such-user")


def password_check(
    *, policy: OrgPolicy, actor: Actor, email: str, password: str, action: str = SIGN_IN
) -> User:
    """The user whose password this is, or ``unauthenticated`` (one message for every case,
    so the form reveals neither which emails exist nor which users are disabled).

    Audited as ``action`` either way. Only wrong guesses use up the rate budget."""
    attempt = authorize_password_attempt(email=email, ip=actor.ip)
    user = User.objects.filter(email=email.strip().lower()).first()
    valid = check_password(password, user.password if user else _DUMMY_HASH)
    if user is None or not valid or not user.is_active or not user.has_usable_password():
        audit_record(
            actor=actor,
            action=action,
            outcome=AuditEvent.Outcome.FAILURE,
            code="unauthenticated",
            subject=user,
            data={"email": email[:254]},
        )
        raise AuthError("unauthenticated", "That email and password do not match.")
    attempt_succeeded(attempt)
    refusal = checks.password_refusal(
        policy, holds_passwordless_factor=holds_passwordless_factor(user)
    )
    if refusal is not None:
        audit_record(
            actor=actor,
            action=action,
            outcome=AuditEvent.Outcome.FAILURE,
            code="forbidden",
            subject=user,
        )
        raise refusal
    audit_record(actor=actor, action=action, subject=user)
    return user
