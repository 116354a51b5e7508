"""Per-organisation tables: each org schema holds its own copy of every model here."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models


def new_external_id() -> str:
    return "usr_" + secrets.token_urlsafe(12)


def new_user_handle() -> bytes:
    # WebAuthn user.id: random and opaque, so authenticators never learn who the user is.
    return secrets.token_bytes(32)


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.new_user(email, password, **extra)
        user.save(using=self._db)
        return user

    def new_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        """The user ``create_user`` saves, not saved yet."""
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, role=User.Role.ADMIN)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser):
    """A person of one organisation (or, in the public schema, a platform staff member).

    No Django groups or permissions: org roles are admin/member, and leaving
    ``django.contrib.auth`` out of the org schemas makes creating an organisation fast.
    """

    class Role(models.TextChoices):
        ADMIN = "admin"
        MEMBER = "member"

    # The sign-in name: an email for people; integrators may send another unique name.
    email = models.CharField(max_length=254, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=200, unique=True, default=new_external_id)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    # Platform staff only: meaningful in the public schema, where Django admin runs.
    is_staff = models.BooleanField(default=False)
    is_superuser = models.BooleanField(default=False)
    passkey_enrolment_required = models.BooleanField(default=False)
    webauthn_user_handle = models.BinaryField(max_length=64, unique=True, default=new_user_handle)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped to end every session signed in before (auth_methods.session_revocation), the
    # OpenID Provider's codes and tokens of the user with them, at ``sessions_ended_at``.
    session_epoch = models.PositiveIntegerField(default=0)
    sessions_ended_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_org_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    # Django admin asks these; platform superusers may do everything, nobody else anything.
    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_active and self.is_superuser

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_superuser


class AuthSettings(models.Model):
    """The org's passkey policy: one row. ``values`` holds the fields that differ from their
    defaults in the policy table (``auth_methods.policy_fields``), validated on write; a new
    field therefore needs no migration, every organisation starts at its default."""

    values = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "auth settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="auth_settings_one_row")
        ]

    def __str__(self) -> str:
        return "auth settings"


class Passkey(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.BinaryField(max_length=1023, unique=True)
    public_key = models.BinaryField(max_length=4096)
    algorithm = models.IntegerField()
    sign_count = models.BigIntegerField(default=0)
    label = models.CharField(max_length=100, blank=True)
    aaguid = models.CharField(max_length=36)
    # True only when a trusted attestation chain proved the AAGUID; allow-lists rely on it.
    aaguid_attested = models.BooleanField(default=False)
    attestation_format = models.CharField(max_length=32, default="none")
    transports = models.JSONField(default=list)
    # "" when the client did not report one (it is unsigned and advisory anyway).
    attachment = models.CharField(max_length=16, blank=True, default="")
    backup_eligible = models.BooleanField(default=False)
    backed_up = models.BooleanField(default=False)
    user_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.label or f"passkey {self.pk}"


class Challenge(models.Model):
    class Purpose(models.TextChoices):
        REGISTRATION = "registration"
        AUTHENTICATION = "authentication"

    challenge = models.BinaryField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # Null for a usernameless sign-in; otherwise the ceremony may only complete for this user.
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.purpose} challenge {self.pk}"


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success"
        FAILURE = "failure"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    code = models.CharField(max_length=64, blank=True)
    # Who acted: a signed-in user, an API key ("api_key:<lookup>"), the CLI or the system.
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    subject = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    credential_id = models.CharField(max_length=1400, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.outcome}"


class TotpDevice(models.Model):
    """A user's authenticator app: the seed is encrypted at rest (auth_methods.crypto)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp")
    secret_encrypted = models.BinaryField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last accepted time step: a code is accepted once, and never an older one.
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"TOTP of {self.user_id}"


class RecoveryCodeSet(models.Model):
    """A user's current recovery codes: keyed hashes only; each code is used once."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="recovery_codes")
    hashes = models.JSONField(default=list)  # HMAC-SHA256 of each code, hex
    used = models.JSONField(default=list)  # one boolean per code
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"recovery codes of {self.user_id}"


class RecoveryLink(models.Model):
    """An emailed, single-use, short-lived sign-in link to recover an account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery link {self.pk}"


class OutboxMessage(models.Model):
    """An email written in the same transaction as the change it reports; a worker sends it."""

    kind = models.CharField(max_length=64)
    to_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    # Emptied once sent (or given up): the row stays as the record that a mail went out.
    body = models.TextField()
    # A sign-in link, encrypted (auth_methods.crypto); put into the body only while sending.
    link_encrypted = models.BinaryField(null=True, blank=True)
    # The same on every attempt, so a receiver can drop a repeat of a mail sent twice.
    message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    # A sender holds the message until then; a sender that died lets it go by itself.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email}"


class SigningKey(models.Model):
    """An ES256 key for sign-in tokens; the private half is encrypted at rest."""

    kid = models.CharField(max_length=64, unique=True)
    private_key_encrypted = models.BinaryField()
    public_jwk = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Set on rotation; the key stays in JWKS until tokens it signed have expired.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.kid


class ApiKey(models.Model):
    """An integrator's key: only a digest of it is stored; ``lookup`` finds the row."""

    name = models.CharField(max_length=100)
    lookup = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        "auth_methods.User", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table the model had while it lived in the api app: moved in state only.
        db_table = "api_apikey"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.lookup})"
