"""Shapes of the contract's JSON. Serializers check shape; services check meaning."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from auth_methods.encoding import b64url_encode
from auth_methods.models import Passkey, User
from auth_methods.passkeys.authenticators import authenticator_name


class FieldsBoundOnce(serializers.Serializer[Any]):
    """DRF deep-copies and binds every declared field for each serializer instance, which
    was most of a ceremony's serializer cost. A serializer that reads neither its context
    nor ``partial`` (and whose fields keep no state between calls) can share one bound set
    per class: it is bound once, to a template instance, and reused by every instance."""

    @property
    def fields(self) -> Any:
        cls = type(self)
        bound = cls.__dict__.get("_fields_bound_once")
        if bound is None:
            template = cls()
            bound = serializers.Serializer.fields.func(template)  # type: ignore[attr-defined]
            cls._fields_bound_once = bound  # type: ignore[attr-defined]
        return bound


class PasskeySerializer(FieldsBoundOnce, serializers.Serializer[Passkey]):
    id = serializers.SerializerMethodField()
    label = serializers.CharField()  # type: ignore[assignment]
    aaguid = serializers.CharField()
    authenticator_name = serializers.SerializerMethodField()
    transports = serializers.ListField(child=serializers.CharField())
    attachment = serializers.SerializerMethodField()
    backup_eligible = serializers.BooleanField()
    backed_up = serializers.BooleanField()
    user_verified = serializers.BooleanField()
    sign_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    flagged = serializers.BooleanField()

    @extend_schema_field({"type": "string", "description": "credential id, base64url"})
    def get_id(self, obj: Passkey) -> str:
        return b64url_encode(bytes(obj.credential_id))

    @extend_schema_field({"type": "string", "nullable": True})
    def get_authenticator_name(self, obj: Passkey) -> str | None:
        return authenticator_name(obj.aaguid)

    @extend_schema_field(
        {"type": "string", "enum": ["platform", "cross-platform"], "nullable": True}
    )
    def get_attachment(self, obj: Passkey) -> str | None:
        return obj.attachment or None


class WebAuthnUserSerializer(FieldsBoundOnce, serializers.Serializer[User]):
    id = serializers.CharField(source="external_id")
    name = serializers.CharField(source="email")
    display_name = serializers.CharField()


class AdminUserSerializer(serializers.Serializer[User]):
    id = serializers.CharField(source="external_id")
    name = serializers.CharField(source="email")
    display_name = serializers.CharField()
    active = serializers.BooleanField(source="is_active")
    passkey_enrolment_required = serializers.BooleanField()
    passkey_count = serializers.SerializerMethodField()
    totp_enabled = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_passkey_count(self, obj: User) -> int:
        return obj.passkeys.count()

    def get_totp_enabled(self, obj: User) -> bool:
        from auth_methods.factors import TotpFactor

        return TotpFactor().is_usable(obj)


class StrictInput(serializers.Serializer[Any]):
    """A request body (or part of one) that refuses fields it does not know; the OpenAPI schema
    marks it closed (``additionalProperties: false``, see ``api/schema.py``)."""

    # Fields the schema lists as required although a browser session may leave them out (the
    # contract's integrator shape); the view refuses their absence for API keys.
    schema_required: tuple[str, ...] = ()
    schema_min_properties = 0

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({unknown[0]: ["unknown or read-only field."]})
        return super().to_internal_value(data)


class JsonObjectField(serializers.DictField):
    """A WebAuthn JSON structure: checked for shape by the ceremony layer, not here."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("must be a JSON object.")
        return data


_B64URL = {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "base64url, unpadded"}
# WebAuthn credential ids are at most 1023 bytes: 1364 base64url characters.
MAX_CREDENTIAL_ID = 1364
_CREDENTIAL_ID = {**_B64URL, "maxLength": MAX_CREDENTIAL_ID}
_ATTACHMENT = {"type": "string", "enum": ["platform", "cross-platform"], "nullable": True}


def _credential(response: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "required": ["id", "rawId", "type", "response"],
        "properties": {
            "id": _CREDENTIAL_ID,
            "rawId": _CREDENTIAL_ID,
            "type": {"type": "string", "enum": ["public-key"]},
            "response": {"type": "object", "additionalProperties": False, **response},
            "authenticatorAttachment": _ATTACHMENT,
            "clientExtensionResults": {"type": "object"},
        },
    }


@extend_schema_field(
    _credential(
        {
            "required": ["clientDataJSON", "attestationObject"],
            "properties": {
                "clientDataJSON": _B64URL,
                "attestationObject": _B64URL,
                "transports": {"type": "array", "items": {"type": "string"}},
                "authenticatorData": _B64URL,
                "publicKey": _B64URL,
                "publicKeyAlgorithm": {"type": "integer"},
            },
        },
        "RegistrationResponseJSON (WebAuthn Level 3): what PublicKeyCredential.toJSON() yields.",
    )
)
class RegistrationResponseField(JsonObjectField):
    def to_internal_value(self, data: Any) -> dict[str, Any]:
        credential = super().to_internal_value(data)
        for key in ("id", "rawId"):
            value = credential.get(key)
            if isinstance(value, str) and len(value) > MAX_CREDENTIAL_ID:
                # Longer ids are not WebAuthn's, and must reach neither the ceremony nor a row.
                raise serializers.ValidationError({key: ["longer than 1023 bytes."]})
        return credential


@extend_schema_field(
    _credential(
        {
            "required": ["clientDataJSON", "authenticatorData", "signature"],
            "properties": {
                "clientDataJSON": _B64URL,
                "authenticatorData": _B64URL,
                "signature": _B64URL,
                "userHandle": {**_B64URL, "nullable": True},
            },
        },
        "AuthenticationResponseJSON (WebAuthn Level 3): what PublicKeyCredential.toJSON() yields.",
    )
)
class AuthenticationResponseField(RegistrationResponseField):
    pass


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's CharField would quietly turn 42 into "42"."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only: DRF's BooleanField also takes "false", 0 and "yes"."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


@extend_schema_field({"type": "boolean", "enum": [False]})
class ClearFlagField(StrictBooleanField):
    """``flagged`` in a PATCH: a flag may only be cleared, never set by hand."""

    def to_internal_value(self, data: Any) -> bool:
        if super().to_internal_value(data) is not False:
            raise serializers.ValidationError("may only be cleared (false).")
        return False
