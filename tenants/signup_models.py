"""The platform's front door, in the shared schema: sign-up requests, invitations, audit."""

from __future__ import annotations

import uuid

from django.db import models


class SignupRequest(models.Model):
    """One "create my organisation" request, waiting for its email to be confirmed.

    No link secret is stored: the link's token is an HMAC of ``id`` and ``nonce`` under the
    secret key, computed when the mail is sent and when the link comes back.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        CREATING = "creating"
        DONE = "done"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    nonce = models.CharField(max_length=32)
    org_name = models.CharField(max_length=200)
    slug = models.CharField(max_length=40)
    email = models.CharField(max_length=254)
    ip = models.GenericIPAddressField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    mail_sent_at = models.DateTimeField(null=True, blank=True)
    invitation = models.ForeignKey(
        "tenants.SignupInvitation", null=True, blank=True, on_delete=models.SET_NULL
    )
    org = models.OneToOneField(
        "tenants.Organisation", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "mail_sent_at"])]

    def __str__(self) -> str:
        return f"{self.slug} ({self.email}, {self.state})"


class SignupInvitation(models.Model):
    """An invitation code for ``PASSGATE_SIGNUP=invite``; only its hash is kept."""

    code_hash = models.CharField(max_length=64, unique=True)
    note = models.CharField(max_length=200, blank=True)
    uses_left = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.note or f"invitation {self.pk}"


class PlatformAuditEvent(models.Model):
    """Platform-level audit: every sign-up attempt and staff action on organisations."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=60)
    outcome = models.CharField(max_length=20)  # "success" or an error code
    ip = models.GenericIPAddressField(null=True, blank=True)
    actor = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=254, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.outcome}"
