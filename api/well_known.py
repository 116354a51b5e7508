"""Public documents: the org's token keys and its related origins. No key needed."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.context import ceremony_context
from api.throttling import PerIpThrottle
from auth_methods import policy as pol
from auth_methods.tokens import jwks


class JwksApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [PerIpThrottle]

    class JwksOutput(serializers.Serializer[Any]):
        keys = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses={200: JwksOutput})
    def get(self, request: Request) -> Response:
        return Response(jwks())


class WebAuthnOriginsApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [PerIpThrottle]

    class WebAuthnOriginsOutput(serializers.Serializer[Any]):
        origins = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses={200: WebAuthnOriginsOutput})
    def get(self, request: Request) -> Response:
        return Response({"origins": list(pol.expected_origins(ceremony_context(request).policy))})
