"""The policy-field table is the one definition of a policy field: walking it finds every field
in storage, the API's schema, the portal form and the contract, and a new entry flows into
each door without another edit."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from django.test import Client

from api.auth_settings import AuthSettingsSerializer
from auth_methods import policy_fields
from auth_methods.lockout import lockout_preview
from auth_methods.models import AuthSettings
from auth_methods.policy_fields import (
    POLICY_TABLE,
    Affects,
    Enforcement,
    OrgPolicy,
    PolicyField,
    Section,
    policy_field,
    table_of,
)
from auth_methods.policy_kinds import Choice, Flag, ListOf, Text, Whole
from auth_methods.policy_validation import PolicyInvalid, validate_changes
from auth_methods.settings_service import policy_for
from portal.forms_policy import ENFORCEMENT_LABELS, PolicyForm
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import make_api
from tests.portal.conftest import make_user, signed_in
from tests.support.db import assert_problem, snapshot

ROWS = {row.name: row for row in POLICY_TABLE}
NAMES = list(ROWS)
SETTINGS_URL = "/api/v1/auth-settings"
PORTAL_URL = "/orgs/acme/portal/configuration/auth-settings"


def _contract_path() -> Path:
    # The contract sits in shared/spec beside the checkout (or beside the worktrees' folder).
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "spec" / "api.md"
        if candidate.exists():
            return candidate
    raise AssertionError("shared/spec/api.md not found above the checkout")


def contract_rows() -> dict[str, tuple[str, str]]:
    """field -> (type cell, default cell) of the contract's org-policy table."""
    section = _contract_path().read_text().split("## Org policy")[1].split("\n## ")[0]
    found = re.findall(r"^\| `([a-z_]+)` \| (.+?) \| (.+?) \| .+ \|$", section, flags=re.M)
    return {name: (kind, default) for name, kind, default in found}


def contract_value(cell: str) -> object:
    """A default as the contract writes it: JSON (`true`, `60`, `[]`, `null`) or a bare word."""
    try:
        return json.loads(cell)
    except json.JSONDecodeError:
        return cell


def as_kept(value: object, row: PolicyField) -> object:
    return row.kind.check(as_json(value))


def as_json(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def schema_document() -> dict[str, Any]:
    response = Client(HTTP_HOST="localhost").get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def resolved(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$ref``s (drf-spectacular moves enums into components) inlined."""
    text = json.dumps(schema)
    components = document["components"]["schemas"]
    for name, component in components.items():
        ref = json.dumps({"$ref": f"#/components/schemas/{name}"})
        text = text.replace(ref, json.dumps(component))
    found: dict[str, Any] = json.loads(text)
    for key in ("allOf",):
        if key in found:
            (inner,) = found.pop(key)
            found = {**inner, **found}
    return found


def bare(schema: dict[str, Any]) -> dict[str, Any]:
    """The value-space keywords of a property schema (no title, example, description)."""
    kept = {k: v for k, v in schema.items() if k not in ("title", "example", "description")}
    if "items" in kept:
        kept["items"] = bare(kept["items"])
    return kept


# --- walking the table ----------------------------------------------------------------------


def test_every_row_has_a_name_a_label_help_and_a_default_its_own_kind_accepts() -> None:
    assert NAMES == [n for n in NAMES if n]  # every row was named from its attribute
    for row in POLICY_TABLE:
        assert row.label and row.help.endswith("."), row.name
        assert getattr(OrgPolicy(), row.name) == row.default, row.name
        assert row.kind.check(as_json(row.default)) == row.default, row.name
        assert row.kind.check(as_json(row.example)) != row.default, row.name


@pytest.mark.parametrize("name", NAMES)
def test_the_contract_table_lists_the_field_with_the_same_default(name: str) -> None:
    rows = contract_rows()
    assert set(rows) == set(NAMES)
    kind_cell, default_cell = rows[name]
    row = ROWS[name]
    cell = default_cell.split(" = ")[0].replace("`", "").strip()
    if cell == "org name":  # "null follows the organisation", answered as its name
        assert row.default is None and row.fallback is not None
    else:
        assert contract_value(cell) == as_json(row.default)
    kind = row.kind
    if isinstance(kind, Flag):
        assert kind_cell == "bool"
    elif isinstance(kind, Choice):
        assert set(re.findall(r"`([a-z-]+)`", kind_cell)) == set(kind.options)
    elif isinstance(kind, Whole):
        assert kind_cell == f"int {kind.low}..{kind.high}"
    elif isinstance(kind, ListOf):
        assert kind_cell.startswith("list of ")
    else:
        assert isinstance(kind, Text) and kind_cell in ("str", "hostname or null")


@pytest.mark.django_db
def test_every_field_is_stored_and_read_back_through_the_model(acme: Organisation) -> None:
    # The examples together are one valid policy: each is saved, stored, and read back.
    examples = {row.name: row.example for row in POLICY_TABLE}
    response = make_api(acme, ["admin"]).client.patch(SETTINGS_URL, examples, format="json")
    assert response.status_code == 200, response.content
    with with_org(acme):
        stored = AuthSettings.objects.get(pk=1).values
        policy = policy_for(acme)
    for row in POLICY_TABLE:
        expected = row.kind.check(as_json(row.example))
        assert stored[row.name] == as_json(expected), row.name
        assert getattr(policy, row.name) == expected, row.name


@pytest.mark.django_db
def test_every_field_is_in_the_api_schema_exactly_as_its_kind(db: None) -> None:
    document = schema_document()
    answer = document["components"]["schemas"]["AuthSettings"]
    patch = document["components"]["schemas"]["PatchedAuthSettingsRequest"]
    assert answer["additionalProperties"] is False and patch["additionalProperties"] is False
    assert answer["required"] == NAMES and "required" not in patch
    for row in POLICY_TABLE:
        expected = row.kind.schema()
        if row.fallback is not None:
            expected.pop("nullable")  # answered with its fallback, never null
        assert bare(resolved(answer["properties"][row.name], document)) == expected, row.name
        sent = resolved(patch["properties"][row.name], document)
        assert bare(sent) == row.kind.schema(), row.name
        assert sent["title"] == row.label
        # The schema and the server agree on the example and on the bad value.
        jsonschema.validate(as_json(row.example), bare(sent))
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(row.kind.bad_value(), bare(sent))


@pytest.mark.django_db
@pytest.mark.parametrize("name", NAMES)
def test_the_api_refuses_a_bad_value_of_each_field_and_writes_nothing(
    acme: Organisation, name: str
) -> None:
    api = make_api(acme, ["admin"])
    before = snapshot(acme)
    bad = ROWS[name].kind.bad_value()
    response = api.client.patch(SETTINGS_URL, {name: bad}, format="json")
    body = assert_problem(response, 400, "invalid_request")
    assert body["detail"].startswith(f"The {name} field must "), body
    assert snapshot(acme) == before


@pytest.mark.django_db
def test_the_portal_form_shows_each_field_in_its_section_with_its_badge(
    acme: Organisation,
) -> None:
    admin = signed_in(acme, make_user(acme, "admin@acme.test", "admin"))
    page = admin.get(PORTAL_URL).content.decode()
    sections = re.split(r'<section class="card" aria-labelledby="section-\d+">', page)[1:]
    titles = [re.search(r"<h2[^>]*>([^<]+)</h2>", s).group(1) for s in sections]  # type: ignore[union-attr]
    assert titles == [s.value for s in Section]
    for row in POLICY_TABLE:
        html = sections[titles.index(row.section.value)]
        block = html[html.index(f'data-field="{row.name}"') :]
        block = block[: block.index("</div>")]
        assert f'name="{row.name}"' in block and row.label in block, row.name
        assert ENFORCEMENT_LABELS[row.enforcement.value] in block, row.name
        escaped = row.help.replace("'", "&#x27;").replace('"', "&quot;")
        assert escaped in block, row.name


@pytest.mark.django_db
@pytest.mark.parametrize("name", [r.name for r in POLICY_TABLE if r.affects is not Affects.SIGN_IN])
def test_a_field_that_does_not_affect_sign_in_locks_nobody_out(
    acme: Organisation, name: str
) -> None:
    # The table's "affects" column against the lockout preview: someone whose passkey is their
    # only way in keeps it whatever these fields become.
    assert make_api(acme, ["admin"]).register("solo", "solo@acme.test").status_code == 201
    row = ROWS[name]
    with with_org(acme):
        current = policy_for(acme)
        changed: dict[str, Any] = {name: as_kept(row.example, row)}
        preview = lockout_preview(current, replace(current, **changed))
    assert preview.users == ()
    notes = [n for n in preview.registration_notes if n.startswith(f"{row.label}:")]
    assert len(notes) == (1 if row.affects is Affects.REGISTRATION else 0)


# --- a new entry flows into every door ------------------------------------------------------


@dataclass(frozen=True)
class PolicyWithAQuota(OrgPolicy):
    sign_in_quota: int = policy_field(
        7,
        Whole(1, 9),
        label="Sign-in quota",
        help="1 to 9: a field that exists only in this test.",
        section=Section.AUTHENTICATORS,
        enforcement=Enforcement.HINT,
        affects=Affects.NEITHER,
        example=3,
    )


@pytest.fixture
def quota_table(monkeypatch: pytest.MonkeyPatch) -> PolicyField:
    table = table_of(PolicyWithAQuota)
    monkeypatch.setattr(policy_fields, "POLICY_TABLE", table)
    added: PolicyField = table[-1]
    return added


def test_a_new_entry_is_validated_by_its_kind(quota_table: PolicyField) -> None:
    current = PolicyWithAQuota(primary_host="acme.localhost")
    updated = validate_changes(
        current, {"sign_in_quota": 3}, org_hosts=["acme.localhost"], base_domain="localhost"
    )
    assert isinstance(updated, PolicyWithAQuota) and updated.sign_in_quota == 3
    with pytest.raises(PolicyInvalid) as refused:
        validate_changes(
            current, {"sign_in_quota": 10}, org_hosts=["acme.localhost"], base_domain="localhost"
        )
    assert refused.value.detail == "The sign_in_quota field must be a whole number from 1 to 9."


@pytest.mark.django_db
def test_a_new_entry_is_in_the_api_schema(quota_table: PolicyField) -> None:
    document = schema_document()
    answer = document["components"]["schemas"]["AuthSettings"]
    patch = document["components"]["schemas"]["PatchedAuthSettingsRequest"]
    expected = {
        "title": "Sign-in quota",
        "type": "integer",
        "minimum": 1,
        "maximum": 9,
        "example": 3,
    }
    assert answer["properties"]["sign_in_quota"] == expected
    assert patch["properties"]["sign_in_quota"] == expected
    assert "sign_in_quota" in answer["required"]
    answered = AuthSettingsSerializer(PolicyWithAQuota(org_name="Acme Corp")).data
    assert answered["sign_in_quota"] == 7 and answered["rp_name"] == "Acme Corp"


def test_a_new_entry_is_in_the_portal_form(quota_table: PolicyField) -> None:
    form = PolicyForm(policy=PolicyWithAQuota(primary_host="acme.localhost"))
    field = form.fields["sign_in_quota"]
    assert (field.label, field.help_text) == ("Sign-in quota", quota_table.help)
    assert form["sign_in_quota"].value() == 7
    section = next(s for s in form.sections() if s.title == "Authenticators")
    row = next(r for r in section.rows if r.field.name == "sign_in_quota")
    assert row.badge == "Hint to the browser"

    posted = {n: form[n].value() for n in form.fields if form[n].value() not in (None, False)}
    posted = {n: "\n".join(map(str, v)) if isinstance(v, tuple) else v for n, v in posted.items()}
    bound = PolicyForm(posted | {"sign_in_quota": "4"}, policy=PolicyWithAQuota())
    assert bound.is_valid(), bound.errors
    assert bound.changes()["sign_in_quota"] == 4
