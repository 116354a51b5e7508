"""OpenID Connect Discovery on the org host: public, like the JWKS it points to."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.context import request_org
from api.throttling import PerIpThrottle
from oidc.discovery import provider_metadata
from oidc.provider import issuer_of


class OpenIdConfigurationApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [PerIpThrottle]

    class ProviderMetadata(serializers.Serializer[Any]):
        issuer = serializers.CharField()
        authorization_endpoint = serializers.CharField()
        token_endpoint = serializers.CharField()
        userinfo_endpoint = serializers.CharField()
        jwks_uri = serializers.CharField()
        end_session_endpoint = serializers.CharField()
        revocation_endpoint = serializers.CharField()

    @extend_schema(responses={200: ProviderMetadata})
    def get(self, request: Request) -> Response:
        request_org(request)  # only an org host is a provider
        return Response(provider_metadata(issuer_of(request._request)))
