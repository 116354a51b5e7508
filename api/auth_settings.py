"""GET/PATCH /api/v1/auth-settings: the organisation's passkey policy.

The object's fields, types, ranges and defaults come from the policy table
(``auth_methods.policy_fields``): the answer is ``policy_values``, the request is checked by the
settings service, and the OpenAPI schema is each field's kind described as JSON Schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.context import actor_for, request_org
from api.permissions import IsOrgAdmin
from auth_methods.errors import AuthError
from auth_methods.policy import policy_values
from auth_methods.policy_fields import policy_table
from auth_methods.settings_service import auth_settings_update, policy_for


class AuthSettingsSerializer(serializers.Serializer[Any]):
    """An organisation's passkey policy."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return dict(policy_values(instance))


def policy_schema(direction: str) -> dict[str, Any]:
    """The policy object as OpenAPI: every answer holds every field; a PATCH may send any of
    them and nothing else."""
    properties = {}
    for row in policy_table():
        schema = {"title": row.label, **row.kind.schema(), "example": row.example}
        if direction == "response" and row.fallback is not None:
            schema.pop("nullable", None)  # a null value is answered by its fallback
        properties[row.name] = schema
    result: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if direction == "response":
        result["required"] = list(properties)
    return result


class AuthSettingsSchema(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    target_class = AuthSettingsSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return policy_schema(str(direction))


class AuthSettingsApi(APIView):
    permission_classes = [IsOrgAdmin]
    audit_action = "auth_settings.update"

    @extend_schema(summary="Read the passkey policy", responses={200: AuthSettingsSerializer})
    def get(self, request: Request) -> Response:
        return Response(AuthSettingsSerializer(policy_for(request_org(request))).data)

    @extend_schema(
        summary="Change the passkey policy",
        request=AuthSettingsSerializer(partial=True),
        responses={200: AuthSettingsSerializer},
    )
    def patch(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise AuthError.of(
                "invalid_request", "The body must be a JSON object of policy fields."
            )
        updated = auth_settings_update(
            org=request_org(request), actor=actor_for(request), changes=request.data
        )
        return Response(AuthSettingsSerializer(updated).data)
