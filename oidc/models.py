"""Each organisation's OpenID Connect clients, codes and tokens (tenant schema).

These tables live in every org's own schema, so a client, code or token of one org does not
exist on another org's host: the isolation holds by construction, not by a filter. Secrets,
codes and tokens are kept only as SHA-256 digests (they carry 256+ random bits each).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Any

from django.conf import settings
from django.db import models


def digest(secret: str) -> str:
    """How secrets, codes and tokens are stored; a fast hash suffices for random values."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Client(models.Model):
    """An app that signs its users in through this organisation."""

    class Alg(models.TextChoices):
        ES256 = "ES256"
        RS256 = "RS256"

    client_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    public = models.BooleanField(default=False)  # no secret: PKCE is its proof instead
    secret_digest = models.CharField(max_length=64, blank=True)
    redirect_uris = models.JSONField(default=list)
    post_logout_redirect_uris = models.JSONField(default=list)
    scopes = models.JSONField(default=list)
    third_party = models.BooleanField(default=False)  # users are asked for consent
    id_token_alg = models.CharField(max_length=5, choices=Alg.choices, default=Alg.ES256)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    # The metadata Authlib's RP-initiated logout endpoint reads.
    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    # Authlib's ClientMixin: what this client may do.
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # the request must name one of the registered URIs, always

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(self.scopes)
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match, no prefix or pattern

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.secret_digest) and hmac.compare_digest(
            self.secret_digest, digest(client_secret)
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class AuthorizationCode(models.Model):
    """A code handed to a client's redirect URI, with the facts of the sign-in behind it.

    Kept after use (``used_at``) so that a replayed code can revoke what it issued."""

    code_digest = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    redirect_uri = models.TextField()
    scope = models.TextField()
    nonce = models.CharField(max_length=255, blank=True)
    code_challenge = models.CharField(max_length=128, blank=True)
    code_challenge_method = models.CharField(max_length=8, blank=True)
    auth_time = models.BigIntegerField()
    amr = models.JSONField(default=list)
    acr = models.CharField(max_length=32, blank=True)
    family = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["client", "nonce"])]

    def __str__(self) -> str:
        return f"code for {self.client_id} / {self.user_id}"

    # Authlib's AuthorizationCodeMixin (OIDC flavour).
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce or None

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return list(self.amr)


class Token(models.Model):
    """An access token and its refresh token. Tokens descending from one code share a
    ``family``: replaying a spent refresh token or code revokes the whole family."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    scope = models.TextField()
    access_digest = models.CharField(max_length=64, unique=True)
    refresh_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    issued_at = models.BigIntegerField()
    expires_in = models.IntegerField()
    family = models.UUIDField()
    auth_time = models.BigIntegerField()
    amr = models.JSONField(default=list)
    acr = models.CharField(max_length=32, blank=True)
    refresh_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["family"])]

    def __str__(self) -> str:
        return f"token for {self.client_id} / {self.user_id}"

    # Authlib's TokenMixin.
    def check_client(self, client: Client) -> bool:
        return self.client_id == client.pk

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def get_user(self) -> Any:
        return self.user

    def get_client(self) -> Client:
        return self.client


class Consent(models.Model):
    """A user's yes to a third-party client, for the scopes listed."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    scopes = models.JSONField(default=list)
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "user"], name="one_consent")]

    def __str__(self) -> str:
        return f"consent of {self.user_id} to {self.client_id}"
