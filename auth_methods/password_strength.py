"""What a new password must be: the one check behind every door that chooses one (an admin
creating a user, a person changing or setting their own)."""

from __future__ import annotations

from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError

from auth_methods.errors import AuthError
from auth_methods.models import User

# Hashing is the expensive part of a password: an unbounded one would let a request buy
# seconds of Argon2. The portal's forms stop at the same length.
MAX_PASSWORD = 1024


def check_new_password(password: str, *, user: User | None = None, field: str = "password") -> None:
    """``invalid_request`` on ``field`` naming every rule of ``AUTH_PASSWORD_VALIDATORS`` the
    password breaks, so the person fixes them all at once."""
    if len(password) > MAX_PASSWORD:
        raise AuthError.of(
            "invalid_request", f"Use at most {MAX_PASSWORD} characters.", field=field
        )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AuthError.of("invalid_request", " ".join(exc.messages), field=field) from None


def new_password_hints() -> list[str]:
    """What the validators ask for, in words, for the form that chooses a password."""
    return password_validators_help_texts()
