"""POST /api/v1/auth-settings/preview: what a PATCH with this body would change and whom it
would lock out, from the same preview service as the portal's page. Writes nothing."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth_settings import AuthSettingsSerializer
from api.context import request_org
from api.permissions import IsOrgAdmin
from auth_methods.settings_preview import LockedOutEntry, auth_settings_preview


class LockedOutUserSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(help_text="The user's external id.")
    email = serializers.CharField()
    reason = serializers.CharField()


class LocksOutSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(min_value=0, help_text="Exact, even past the listed 100.")
    users = LockedOutUserSerializer(many=True, help_text="At most 100.")


class AuthSettingsPreviewSerializer(serializers.Serializer[Any]):
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        help_text="Each changed field: [old value, new value].",
    )
    locks_out = LocksOutSerializer()
    must_enrol = LocksOutSerializer(
        help_text="Not locked out: under mfa_required they must set up a second factor after "
        "their password before they are signed in (an extension, docs/api-extensions.md)."
    )


class AuthSettingsPreviewApi(APIView):
    permission_classes = [IsOrgAdmin]

    @extend_schema(
        request=AuthSettingsSerializer(partial=True),
        responses={200: AuthSettingsPreviewSerializer},
    )
    def post(self, request: Request) -> Response:
        preview = auth_settings_preview(org=request_org(request), changes=request.data)
        return Response(
            {
                "changes": {name: [old, new] for name, (old, new) in preview.changes.items()},
                "locks_out": _listing(preview.lockout.count, preview.listed_users()),
                "must_enrol": _listing(
                    len(preview.lockout.must_enrol), preview.listed_must_enrol()
                ),
            }
        )


def _listing(count: int, listed: list[LockedOutEntry]) -> dict[str, Any]:
    users = [{"id": u.external_id, "email": u.email, "reason": u.reason} for u in listed]
    return {"count": count, "users": users}
