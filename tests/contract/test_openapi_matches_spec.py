"""The OpenAPI schema the project serves describes exactly the contract in shared/spec/api.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from auth_methods.errors import ERROR_CODES
from auth_methods.policy_fields import POLICY_TABLE

REPO = Path(__file__).resolve().parents[2]
# shared/ sits beside the checkout (CI, the main checkout) or further up (a worktree in a folder).
CONTRACT = next(
    (
        folder / "shared" / "spec" / "api.md"
        for folder in REPO.parents
        if (folder / "shared" / "spec" / "api.md").exists()
    ),
    REPO.parent / "shared" / "spec" / "api.md",
)


# Operations added on purpose beyond the contract, each with its reason.
EXTENSIONS = REPO / "docs" / "api-extensions.md"


@pytest.fixture(scope="module")
def contract() -> str:
    assert CONTRACT.exists(), f"the living contract is expected at {CONTRACT}"
    return CONTRACT.read_text()


@pytest.fixture
def schema(db: None) -> dict[str, Any]:
    response = Client(HTTP_HOST="localhost").get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def normalise(path: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path.split("?")[0])


def contract_operations(text: str) -> set[tuple[str, str]]:
    found = re.findall(r"`(GET|POST|PATCH|DELETE) (/[^`]*)`", text)
    return {(method.lower(), normalise(path)) for method, path in found}


def test_every_contract_endpoint_and_only_those_are_in_the_schema(
    contract: str, schema: dict[str, Any]
) -> None:
    served = {
        (method, normalise(path))
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "patch", "delete"}
    }
    assert served == contract_operations(contract) | contract_operations(EXTENSIONS.read_text())


def test_every_error_code_of_the_contract_is_in_the_schema(
    contract: str, schema: dict[str, Any]
) -> None:
    table = set(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", contract, flags=re.M))
    in_text = set(re.findall(r"`(\d{3}) ([a-z_]+)`", contract))
    expected = {code for code, _ in table} | {code for _, code in in_text}
    # HTTP's own refusals, which the contract's table does not list: a method the path does not
    # serve, the 500 that must never happen, and the 503 of a dependency that does not answer
    # (readiness, a database outage); each still answers with a catalogue code.
    expected |= {"method_not_allowed", "server_error", "service_unavailable"}
    assert set(schema["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]) == expected
    for code, status in table:
        assert ERROR_CODES[code].status == int(status), code


def test_the_policy_object_has_exactly_the_contract_fields(
    contract: str, schema: dict[str, Any]
) -> None:
    paragraphs = contract.split("## Org policy")[1].split("\n\n")
    section = next(p for p in paragraphs if p.startswith("| field |"))
    fields = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M))
    # A field the policy table marks as not yet in the contract is served, and absent there.
    pending = {row.name for row in POLICY_TABLE if not row.in_contract}
    served = set(schema["components"]["schemas"]["AuthSettings"]["properties"])
    assert pending <= served and not pending & fields
    assert served - pending == fields


def test_the_passkey_object_has_exactly_the_contract_fields(
    contract: str, schema: dict[str, Any]
) -> None:
    line = next(row for row in contract.splitlines() if row.startswith("`Passkey` = "))
    fields = set(re.findall(r'"([a-z_]+)": ', line))
    assert set(schema["components"]["schemas"]["Passkey"]["properties"]) == fields
