"""Admin endpoints for an organisation's users."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.context import actor_for
from api.permissions import IsOrgAdmin
from api.serializers import AdminUserSerializer, StrictBooleanField, StrictCharField, StrictInput
from api.webauthn import _valid
from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.passkeys.management import passkeys_remove_all
from auth_methods.users import user_by_external_id, user_update


def _user_or_404(external_id: str) -> User:
    user = user_by_external_id(external_id)
    if user is None:
        raise AuthError.of("not_found", "No such user in this organisation.")
    return user


class UserEnvelope(serializers.Serializer[Any]):
    user = AdminUserSerializer()


class UserDetailApi(APIView):
    permission_classes = [IsOrgAdmin]
    audit_action = "user.update"

    class UserDetailPatch(StrictInput):
        active = StrictBooleanField(required=False)
        passkey_enrolment_required = StrictBooleanField(required=False)
        display_name = StrictCharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(responses={200: UserEnvelope})
    def get(self, request: Request, external_id: str) -> Response:
        return Response({"user": AdminUserSerializer(_user_or_404(external_id)).data})

    @extend_schema(request=UserDetailPatch, responses={200: UserEnvelope})
    def patch(self, request: Request, external_id: str) -> Response:
        data = _valid(self.UserDetailPatch, request.data)
        user = user_update(actor=actor_for(request), user=_user_or_404(external_id), changes=data)
        return Response({"user": AdminUserSerializer(user).data})


class UserPasskeysApi(APIView):
    permission_classes = [IsOrgAdmin]
    audit_action = "passkey.remove_all"

    @extend_schema(responses={204: None})
    def delete(self, request: Request, external_id: str) -> Response:
        passkeys_remove_all(actor=actor_for(request), user=_user_or_404(external_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
