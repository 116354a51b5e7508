"""drf-spectacular hooks: the OpenAPI document states exactly what the server accepts and says.

Names, summaries and descriptions of the operations are in ``OPERATIONS`` (one row per
operation: a stable ``operationId`` that clients generate code from, and a human summary);
closed request bodies come from ``StrictInput``; every error answer is the ``Problem`` body.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension

from auth_methods.errors import ERROR_CODES


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An organisation's API key."}


class SessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.CsrfSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "A browser session on the org host, with the X-CSRFToken header.",
        }


class StrictInputScheme(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """A StrictInput refuses unknown fields, so its schema is closed."""

    target_class = "api.serializers.StrictInput"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(
            self.target, direction, bypass_extensions=True
        )
        schema["additionalProperties"] = False
        required = sorted({*schema.get("required", ()), *self.target.schema_required})
        if required:
            schema["required"] = required
        if self.target.schema_min_properties:
            schema["minProperties"] = self.target.schema_min_properties
        return schema


PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details with the contract's stable error code.",
    "required": ["type", "title", "status", "code", "detail", "request_id"],
    "properties": {
        "type": {"type": "string", "enum": ["about:blank"]},
        "title": {"type": "string", "description": "The code's fixed title."},
        "status": {"type": "integer", "description": "The HTTP status, repeated."},
        "code": {"type": "string", "enum": sorted(ERROR_CODES)},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "request_id": {
            "type": "string",
            "description": "This request's id, also in the X-Request-ID response header.",
        },
    },
}

_BROWSER = " A browser session on the org host may call it too (with its CSRF token)."
# (method, path) -> (operationId, summary, description)
OPERATIONS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("post", "/webauthn/register/options"): (
        "webauthn_register_options",
        "Start a passkey registration",
        "Creation options built from the org policy for the named user, who is created in the"
        " org when new. A browser session sends {} and registers a passkey for itself.",
    ),
    ("post", "/webauthn/register"): (
        "webauthn_register",
        "Finish a passkey registration",
        "Verifies the authenticator's response to the challenge of a registration-options call"
        " and stores the passkey." + _BROWSER,
    ),
    ("post", "/webauthn/authenticate/options"): (
        "webauthn_authenticate_options",
        "Start a passkey sign-in",
        "Request options for a named user (their passkeys are listed), or for a usernameless"
        " sign-in when the body is {}." + _BROWSER,
    ),
    ("post", "/webauthn/authenticate"): (
        "webauthn_authenticate",
        "Finish a passkey sign-in",
        "Verifies an assertion and answers the user, the passkey and a short-lived sign-in"
        " token (a JWT signed with the org's key). In a browser it also signs the user in.",
    ),
    ("get", "/webauthn/credentials"): (
        "webauthn_credentials_list",
        "List a user's passkeys",
        "With an API key, user_id names the user; a browser session lists its own passkeys.",
    ),
    ("patch", "/webauthn/credentials/{credential_id}"): (
        "webauthn_credential_update",
        "Rename a passkey or clear its flag",
        "Changes the label; an admin may also clear a flag set by a sign-count regression.",
    ),
    ("delete", "/webauthn/credentials/{credential_id}"): (
        "webauthn_credential_delete",
        "Delete a passkey",
        "A browser session may not delete the last way it has to pass a required second"
        " factor (409 last_factor).",
    ),
    ("get", "/api/v1/users/{external_id}"): (
        "users_retrieve",
        "Read a user",
        "Admin only: the user named by the integrator's external id.",
    ),
    ("patch", "/api/v1/users/{external_id}"): (
        "users_update",
        "Change a user",
        "Admin only: activate or disable the user, require passkey enrolment, rename.",
    ),
    ("delete", "/api/v1/users/{external_id}/passkeys"): (
        "users_passkeys_delete",
        "Remove all of a user's passkeys",
        "Admin only: the reset for a user who lost their authenticators.",
    ),
    ("get", "/api/v1/auth-settings"): (
        "auth_settings_retrieve",
        "Read the org's passkey policy",
        "Admin only: every policy field with its current value.",
    ),
    ("patch", "/api/v1/auth-settings"): (
        "auth_settings_update",
        "Change the org's passkey policy",
        "Admin only: all or nothing; an invalid value or combination is refused with a detail"
        " that names the field. Every change is audited.",
    ),
    ("post", "/api/v1/auth-settings/preview"): (
        "auth_settings_preview",
        "Preview a policy change",
        "Admin only: the changes a PATCH with this body would make and who it would lock out;"
        " writes nothing.",
    ),
    ("get", "/.well-known/openid-configuration"): (
        "well_known_openid_configuration",
        "The org's OpenID Provider metadata",
        "OpenID Connect Discovery 1.0: the org's issuer, endpoints and what they support.",
    ),
    ("get", "/healthz"): (
        "healthz",
        "Liveness",
        "200 while the process can serve; touches no dependency.",
    ),
    ("get", "/readyz"): (
        "readyz",
        "Readiness",
        "200 when the database, the cache and the broker answer, else 503 naming each check.",
    ),
    ("get", "/metrics"): (
        "metrics",
        "Prometheus metrics",
        "Prometheus text format; with PASSGATE_METRICS_TOKEN set, it needs that bearer token.",
    ),
    ("get", "/.well-known/jwks.json"): (
        "well_known_jwks",
        "The org's token signing keys",
        "Public keys (JWKS) that verify the org's sign-in tokens: the current key and, during a"
        " rotation, the previous one. No key needed.",
    ),
    ("get", "/.well-known/webauthn"): (
        "well_known_webauthn",
        "The org's related origins",
        "Every origin the org accepts for its RP ID (WebAuthn related origins). No key needed.",
    ),
}

_PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    # As routing accepts them (api/urls.py): anything else is a 404 before any lookup.
    "external_id": {"type": "string", "pattern": "^[^/\\u0000]{1,200}$"},
    "credential_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,1364}$"},
}


# Operations that refuse a request without a JSON body (the others read a missing one as {}).
_BODY_REQUIRED = {
    "webauthn_register_options",
    "webauthn_register",
    "webauthn_authenticate",
    "webauthn_credential_update",
}


def _describe(path: str, method: str, operation: dict[str, Any]) -> None:
    row = OPERATIONS.get((method, path))
    if row is not None:  # a missing row fails tests/contract, not the schema view
        operation["operationId"], operation["summary"], operation["description"] = row
    if "requestBody" in operation and operation.get("operationId") in _BODY_REQUIRED:
        operation["requestBody"]["required"] = True
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter["name"] in _PATH_PARAMETERS:
            parameter["schema"] = _PATH_PARAMETERS[parameter["name"]]


def add_problem_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for schema in schemas.values():
        # Serializer docstrings are notes for developers, not for integrators.
        schema.pop("description", None)
    schemas["Problem"] = PROBLEM
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            _describe(path, method, operation)
            operation.setdefault("responses", {})["default"] = {
                "description": "An error (see the code).",
                "content": {"application/problem+json": {"schema": ref}},
            }
    return result
