"""The framework floor: a trivial DRF view pair, one INSERT per call, through the same stack
(routing middleware, DRF) as the ceremonies. Served on org hosts by benchmarks.settings."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import connection
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS public.bench_floor (id bigserial PRIMARY KEY, value text)"
)


class FloorApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    def post(self, request: Request) -> Response:
        value = secrets.token_urlsafe(16)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO public.bench_floor (value) VALUES (%s)", [value])
        return Response({"value": value})


urlpatterns = [
    path("floor/options", FloorApi.as_view()),
    path("floor/verify", FloorApi.as_view()),
    path("", include("config.urls_org")),
]
