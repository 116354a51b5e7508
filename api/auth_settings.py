"""GET/PATCH /api/v1/auth-settings: the organisation's passkey policy."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.context import actor_for, request_org
from api.permissions import IsOrgAdmin
from api.serializers import StrictInput
from auth_methods.errors import AuthError
from auth_methods.policy import policy_values
from auth_methods.settings_service import auth_settings_update, policy_for

_REQUIREMENT = ["required", "preferred", "discouraged"]


class AuthSettingsSerializer(StrictInput):
    """The policy's shape, for the OpenAPI schema; the rules live in policy_validation."""

    passkey_registration_enabled = serializers.BooleanField()
    passkey_login_enabled = serializers.BooleanField()
    user_verification = serializers.ChoiceField(choices=_REQUIREMENT)
    attestation = serializers.ChoiceField(choices=["none", "indirect", "direct", "enterprise"])
    require_trusted_attestation = serializers.BooleanField()
    authenticator_attachment = serializers.ChoiceField(
        choices=["platform", "cross-platform", "any"]
    )
    resident_key = serializers.ChoiceField(choices=_REQUIREMENT)
    algorithms = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    timeout_seconds = serializers.IntegerField(min_value=10, max_value=600)
    rp_id = serializers.CharField(allow_null=True)
    rp_name = serializers.CharField(allow_null=True)
    allowed_origins = serializers.ListField(child=serializers.CharField())
    allowed_aaguids = serializers.ListField(child=serializers.UUIDField())
    max_passkeys_per_user = serializers.IntegerField(min_value=1, max_value=100)
    allow_synced_passkeys = serializers.BooleanField()
    trusted_attestation_roots = serializers.ListField(child=serializers.CharField())
    token_ttl_seconds = serializers.IntegerField(min_value=60, max_value=3600)
    mfa_required = serializers.BooleanField()
    passwordless_only = serializers.BooleanField()


class AuthSettingsApi(APIView):
    permission_classes = [IsOrgAdmin]
    audit_action = "auth_settings.update"

    @extend_schema(responses={200: AuthSettingsSerializer})
    def get(self, request: Request) -> Response:
        return Response(policy_values(policy_for(request_org(request))))

    @extend_schema(
        request=AuthSettingsSerializer(partial=True), responses={200: AuthSettingsSerializer}
    )
    def patch(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise AuthError.of(
                "invalid_request", "The body must be a JSON object of policy fields."
            )
        updated = auth_settings_update(
            org=request_org(request), actor=actor_for(request), changes=request.data
        )
        return Response(policy_values(updated))
