"""Creating and finding an organisation's users: shared by the CLI, portal and API."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import IntegrityError, transaction

from auth_methods.audit import Actor, audit_record
from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.password_strength import check_new_password
from auth_methods.reauth import require_recent_auth
from auth_methods.session_revocation import end_other_sessions
from auth_methods.user_statements import user_insert_unless_taken, users_by_external_id_or_email

MAX_NAME = 254


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    if not email or len(email) > MAX_NAME or any(c.isspace() for c in email):
        raise AuthError.of(
            "invalid_request",
            "The email or name must be 1-254 characters without spaces.",
            field="email",
        )
    return email


def _check_external_id(external_id: str) -> None:
    if not (0 < len(external_id) <= 200):
        raise AuthError.of(
            "invalid_request", "The external id must be 1-200 characters.", field="external_id"
        )


def user_create(
    *,
    email: str,
    password: str | None = None,
    role: str = User.Role.MEMBER,
    external_id: str | None = None,
    display_name: str = "",
    actor: Actor | None = None,
) -> User:
    """Create a user in the current organisation's schema; refuses duplicates and weak passwords."""
    if actor is not None:
        require_recent_auth(actor)
    email = _clean_email(email)
    if role not in User.Role.values:
        raise AuthError.of(
            "invalid_request", f"Unknown role {role!r}: use admin or member.", field="role"
        )
    if external_id is not None:
        _check_external_id(external_id)
    if User.objects.filter(email=email).exists():
        raise AuthError.of(
            "invalid_request", f"A user with the email {email!r} already exists.", field="email"
        )
    if external_id and User.objects.filter(external_id=external_id).exists():
        raise AuthError.of(
            "invalid_request",
            f"A user with the external id {external_id!r} already exists.",
            field="external_id",
        )
    if password:
        check_new_password(password)
    extra = {"external_id": external_id} if external_id else {}
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, password, role=role, display_name=display_name.strip(), **extra
            )
            if actor is not None:
                audit_record(actor=actor, action="user.create", subject=user, data={"role": role})
            return user
    except IntegrityError:
        raise AuthError.of(
            "invalid_request", "That user was created meanwhile.", field="email"
        ) from None


def user_by_external_id(external_id: str) -> User | None:
    return User.objects.filter(external_id=external_id).first()


USER_EDITABLE = {"active": bool, "passkey_enrolment_required": bool, "display_name": str}


def user_update(*, actor: Actor, user: User, changes: Mapping[str, object]) -> User:
    """Admin changes to a user: all or nothing, audited with before and after."""
    require_recent_auth(actor)
    for name, value in changes.items():
        kind = USER_EDITABLE.get(name)
        if kind is None:
            raise AuthError.of(
                "invalid_request", f"{name}: unknown or read-only field.", field=name
            )
        if not isinstance(value, kind) or (kind is str and len(str(value)) > 200):
            raise AuthError.of("invalid_request", f"{name}: must be a {kind.__name__}.", field=name)
    if changes.get("active") is False and actor.user is not None and actor.user.pk == user.pk:
        raise AuthError.of("forbidden", "You cannot disable your own account.", field="active")
    fields = {"active": "is_active"}
    before = {n: getattr(user, fields.get(n, n)) for n in changes}
    with transaction.atomic():
        for name, value in changes.items():
            setattr(
                user, fields.get(name, name), value.strip() if isinstance(value, str) else value
            )
        user.save(update_fields=[fields.get(n, n) for n in changes] or None)
        if changes.get("active") is False:
            end_other_sessions(user)  # so that enabling them again revives no old session
        audit_record(
            actor=actor,
            action="user.update",
            subject=user,
            data={"before": before, "after": {n: getattr(user, fields.get(n, n)) for n in changes}},
        )
    return user


def user_for_integrator(*, external_id: str, name: str, display_name: str) -> User:
    """The user an integrator names by its own id, created on first sight (register/options).

    Idempotent under concurrency: when two first calls race, the unique constraints decide
    which insert wins, and the loser reads the winner's row instead of failing."""
    email = _clean_email(name)
    _check_external_id(external_id)
    for _ in range(2):
        # One query, so one snapshot: the id and the name are judged against the same rows.
        found = users_by_external_id_or_email(external_id, email)
        mine = next((u for u in found if u.external_id == external_id), None)
        if mine is not None:
            return mine
        if found:
            raise AuthError.of(
                "invalid_request",
                f"user.name {name!r} already belongs to a user with another id.",
                field="user.name",
            )
        user = User.objects.new_user(
            email, None, external_id=external_id, display_name=display_name.strip()
        )
        if user_insert_unless_taken(user):
            return user
        # Another request inserted this id or name meanwhile: look again.
    raise AuthError.of("invalid_request", "That user was created meanwhile.", field="user.id")
