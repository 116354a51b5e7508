"""The served OpenAPI document is exact and readable: every operation has a stable id and a
summary, request bodies are closed, and no developer note leaks into a description."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from api.schema import OPERATIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema() -> dict[str, Any]:
    response = Client(HTTP_HOST="localhost").get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, ops in schema["paths"].items()
        for method, operation in ops.items()
    ]


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_operation_has_a_stable_id_and_a_summary(schema: dict[str, Any]) -> None:
    ids = []
    for method, path, operation in operations(schema):
        assert (method, path) in OPERATIONS, f"add {method.upper()} {path} to api.schema.OPERATIONS"
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", operation["operationId"]), operation["operationId"]
        assert operation["summary"] and operation["description"]
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))


def test_the_ids_clients_generate_code_from_stay_the_same(schema: dict[str, Any]) -> None:
    ids = {(m, p): op["operationId"] for m, p, op in operations(schema)}
    assert ids[("post", "/webauthn/register/options")] == "webauthn_register_options"
    assert ids[("get", "/.well-known/jwks.json")] == "well_known_jwks"


def test_every_request_body_is_closed(schema: dict[str, Any]) -> None:
    for method, path, operation in operations(schema):
        if "requestBody" not in operation:
            continue
        body = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
        assert body.get("additionalProperties") is False, (method, path)


def test_credentials_are_closed_webauthn_json(schema: dict[str, Any]) -> None:
    for name in ("RegisterInputRequest", "AuthenticateInputRequest"):
        credential = schema["components"]["schemas"][name]["properties"]["credential"]
        assert credential["additionalProperties"] is False
        assert set(credential["required"]) == {"id", "rawId", "type", "response"}
        assert credential["properties"]["response"]["additionalProperties"] is False


def test_what_the_server_requires_is_marked_required(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["RegisterOptionsInputRequest"]["required"] == ["user"]
    assert components["PatchedAuthSettingsRequest"]["properties"]["algorithms"]["minItems"] == 1
    assert components["PatchedCredentialDetailPatchRequest"]["minProperties"] == 1
    listing = schema["paths"]["/webauthn/credentials"]["get"]["parameters"]
    assert [p["required"] for p in listing if p["name"] == "user_id"] == [True]
    register = schema["paths"]["/webauthn/register"]["post"]["requestBody"]
    assert register["required"] is True


def test_errors_are_documented_with_their_request_id(schema: dict[str, Any]) -> None:
    problem = schema["components"]["schemas"]["Problem"]
    assert "request_id" in problem["required"]
    for _method, _path, operation in operations(schema):
        assert "application/problem+json" in operation["responses"]["default"]["content"]


def test_no_developer_note_leaks_into_a_description(schema: dict[str, Any]) -> None:
    text = json.dumps(schema)
    for note in ("policy_validation", ".py", "serializer", "OpenAPI schema", "TODO"):
        assert note not in text, note
