"""The framework floor: a trivial DRF view pair, one INSERT per call, through the same stack
(routing middleware, DRF) as the ceremonies; and the least a routed request does (host
lookup, schema switch, one read in the organisation's own schema) for bench-tenants. Served
on org hosts by benchmarks.settings."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
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


def routed(request: HttpRequest) -> HttpResponse:
    # /readyz is answered before routing (config.ops_middleware) and reads only the public
    # schema: it cannot show what the number of organisations does to a request.
    found = get_user_model().objects.filter(pk=0).exists()
    return JsonResponse({"schema": getattr(connection, "schema_name", None), "found": found})


urlpatterns = [
    path("floor/routed", routed),
    path("floor/options", FloorApi.as_view()),
    path("floor/verify", FloorApi.as_view()),
    path("", include("config.urls_org")),
]
