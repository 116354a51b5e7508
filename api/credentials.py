"""Passkey management: list, rename (and clear a flag), delete."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.context import actor_for, api_key_of, ceremony_context, session_user_of
from api.permissions import IsCaller
from api.serializers import ClearFlagField, PasskeySerializer, StrictCharField, StrictInput
from api.webauthn import _valid
from auth_methods.errors import AuthError
from auth_methods.models import Passkey, User
from auth_methods.passkeys import management
from auth_methods.passkeys.selectors import passkey_by_id, passkeys_for_user
from auth_methods.rights import may_see_passkey
from auth_methods.users import user_by_external_id


def _signed_in(request: Request) -> User:
    user = session_user_of(request)
    if user is None:
        raise AuthError.of("unauthenticated", "Sign in, or call with an API key.")
    return user


def _visible_passkey(request: Request, credential_id: str) -> Passkey:
    passkey = passkey_by_id(credential_id)
    if passkey is None or not may_see_passkey(actor_for(request), passkey):
        raise AuthError.of("not_found", "No such credential.")
    return passkey


class CredentialListApi(APIView):
    permission_classes = [IsCaller]

    class CredentialListQuery(serializers.Serializer[Any]):
        user_id = StrictCharField(max_length=200, required=False)

    class CredentialListOutput(serializers.Serializer[Any]):
        results = PasskeySerializer(many=True)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "user_id",
                {"type": "string", "minLength": 1, "maxLength": 200},
                required=True,  # with an API key; a browser session lists its own without it
                description="The user's external id (a browser session leaves it out).",
            )
        ],
        responses={200: CredentialListOutput},
    )
    def get(self, request: Request) -> Response:
        owner: User | None
        query = _valid(self.CredentialListQuery, request.query_params.dict())
        if api_key_of(request) is not None:
            user_id = query.get("user_id")
            if not user_id:
                raise AuthError.of(
                    "invalid_request", "user_id: required with an API key.", field="user_id"
                )
            owner = user_by_external_id(user_id)
            if owner is None:
                raise AuthError.of("not_found", "No such user in this organisation.")
        else:
            owner = _signed_in(request)
        results = [PasskeySerializer(p).data for p in passkeys_for_user(owner)]
        return Response({"results": results})


class CredentialDetailApi(APIView):
    permission_classes = [IsCaller]
    audit_action = "passkey.manage"

    class CredentialDetailPatch(StrictInput):
        schema_min_properties = 1
        label = StrictCharField(max_length=100, required=False)  # type: ignore[assignment]
        flagged = ClearFlagField(required=False)

    class CredentialDetailOutput(serializers.Serializer[Any]):
        passkey = PasskeySerializer()

    @extend_schema(request=CredentialDetailPatch, responses={200: CredentialDetailOutput})
    def patch(self, request: Request, credential_id: str) -> Response:
        data = _valid(self.CredentialDetailPatch, request.data)
        if not data:
            raise AuthError.of("invalid_request", "Send label and/or flagged.")
        passkey = _visible_passkey(request, credential_id)
        actor = actor_for(request)
        with transaction.atomic():
            if "label" in data:
                passkey = management.passkey_rename(
                    actor=actor, passkey=passkey, label=data["label"]
                )
            if "flagged" in data:
                passkey = management.passkey_clear_flag(actor=actor, passkey=passkey)
        return Response({"passkey": PasskeySerializer(passkey).data})

    @extend_schema(responses={204: None})
    def delete(self, request: Request, credential_id: str) -> Response:
        passkey = _visible_passkey(request, credential_id)
        management.passkey_delete(
            actor=actor_for(request),
            passkey=passkey,
            policy=ceremony_context(request).policy,
            guard_last_factor=api_key_of(request) is None,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
