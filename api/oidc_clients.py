"""Admin endpoints for the organisation's OpenID Connect clients, over oidc.clients."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.context import actor_for
from api.permissions import IsOrgAdmin
from api.serializers import StrictBooleanField, StrictCharField, StrictInput
from api.webauthn import _valid
from auth_methods.errors import AuthError
from oidc.clients import (
    client_create,
    client_get,
    client_rotate_secret,
    client_update,
    describe,
)
from oidc.models import Client

ALGS = ["ES256", "RS256"]


class OidcClientSerializer(serializers.Serializer[Any]):
    client_id = serializers.CharField()
    name = serializers.CharField()
    public = serializers.BooleanField()
    redirect_uris = serializers.ListField(child=serializers.CharField())
    post_logout_redirect_uris = serializers.ListField(child=serializers.CharField())
    scopes = serializers.ListField(child=serializers.CharField())
    third_party = serializers.BooleanField()
    id_token_alg = serializers.ChoiceField(choices=ALGS)
    active = serializers.BooleanField()


class OidcClientEnvelope(serializers.Serializer[Any]):
    client = OidcClientSerializer()


class OidcClientWithSecret(serializers.Serializer[Any]):
    client = OidcClientSerializer()
    client_secret = serializers.CharField(allow_null=True)


def _uri_list(*, required: bool = False) -> serializers.ListField:
    # URIs are printable ASCII; with these bounds a body always fits the 64 KiB body limit.
    return serializers.ListField(
        child=serializers.RegexField(r"^[!-~]+$", max_length=1000),
        max_length=10,
        min_length=1 if required else 0,
        required=required,
    )


class OidcClientChanges(StrictInput):
    name = StrictCharField(max_length=100, required=False)
    redirect_uris = _uri_list()
    post_logout_redirect_uris = _uri_list()
    scopes = serializers.ListField(
        child=StrictCharField(max_length=40), max_length=10, required=False
    )
    third_party = StrictBooleanField(required=False)
    id_token_alg = serializers.ChoiceField(choices=ALGS, required=False)


def _client_or_404(client_id: str) -> Client:
    client = client_get(client_id)
    if client is None:
        raise AuthError.of("not_found", "No such OIDC client in this organisation.")
    return client


class OidcClientListApi(APIView):
    permission_classes = [IsOrgAdmin]
    audit_action = "oidc_client.create"

    class OidcClientList(serializers.Serializer[Any]):
        results = OidcClientSerializer(many=True)

    class OidcClientCreate(OidcClientChanges):
        name = StrictCharField(max_length=100)
        redirect_uris = _uri_list(required=True)
        public = StrictBooleanField(required=False)

    @extend_schema(responses={200: OidcClientList})
    def get(self, request: Request) -> Response:
        return Response({"results": [describe(c) for c in Client.objects.all()]})

    @extend_schema(request=OidcClientCreate, responses={201: OidcClientWithSecret})
    def post(self, request: Request) -> Response:
        data = _valid(self.OidcClientCreate, request.data)
        if "redirect_uris" not in data:
            raise AuthError.of("invalid_request", "redirect_uris: required.", field="redirect_uris")
        made = client_create(actor=actor_for(request), **data)
        return Response(
            {"client": describe(made.client), "client_secret": made.secret},
            status=status.HTTP_201_CREATED,
        )


class OidcClientDetailApi(APIView):
    permission_classes = [IsOrgAdmin]
    audit_action = "oidc_client.update"

    class OidcClientPatch(OidcClientChanges):
        active = StrictBooleanField(required=False)

    @extend_schema(responses={200: OidcClientEnvelope})
    def get(self, request: Request, client_id: str) -> Response:
        return Response({"client": describe(_client_or_404(client_id))})

    @extend_schema(request=OidcClientPatch, responses={200: OidcClientEnvelope})
    def patch(self, request: Request, client_id: str) -> Response:
        data = _valid(self.OidcClientPatch, request.data)
        client = client_update(
            actor=actor_for(request), client=_client_or_404(client_id), changes=data
        )
        return Response({"client": describe(client)})


class OidcClientSecretApi(APIView):
    permission_classes = [IsOrgAdmin]
    audit_action = "oidc_client.rotate_secret"

    @extend_schema(request=None, responses={200: OidcClientWithSecret})
    def post(self, request: Request, client_id: str) -> Response:
        made = client_rotate_secret(actor=actor_for(request), client=_client_or_404(client_id))
        return Response({"client": describe(made.client), "client_secret": made.secret})
