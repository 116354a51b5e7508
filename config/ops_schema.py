"""The operations endpoints in the OpenAPI schema (shared/spec/api.md, "Operations
endpoints"). They are plain Django views that answer before routing, so drf-spectacular
cannot see them; this hook adds their parameters and responses (api.schema names and
describes them with every other operation)."""

from __future__ import annotations

from typing import Any

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_CHECKS = {
    "type": "object",
    "description": "Each dependency asked, with `ok` or what is wrong with it.",
    "additionalProperties": {"type": "string"},
}
_READINESS_PROBLEM = {
    "allOf": [
        _PROBLEM,
        {"type": "object", "required": ["checks"], "properties": {"checks": _CHECKS}},
    ]
}


def _json(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}}


OPERATIONS: dict[str, dict[str, Any]] = {
    "/healthz": {
        "get": {
            "tags": ["operations"],
            "security": [{}],
            "responses": {
                "200": {
                    "description": "Alive.",
                    **_json(
                        {
                            "type": "object",
                            "required": ["status"],
                            "properties": {"status": {"type": "string", "enum": ["ok"]}},
                        }
                    ),
                }
            },
        }
    },
    "/readyz": {
        "get": {
            "tags": ["operations"],
            "security": [{}],
            "parameters": [
                {
                    "name": "checks",
                    "in": "query",
                    "required": False,
                    "description": "Ask only these dependencies (default: all three).",
                    "style": "form",
                    "explode": False,
                    "schema": {
                        "type": "array",
                        "items": {"type": "string", "enum": ["database", "cache", "broker"]},
                    },
                }
            ],
            "responses": {
                "200": {
                    "description": "Every dependency asked answers.",
                    **_json(
                        {
                            "type": "object",
                            "required": ["status", "checks"],
                            "properties": {
                                "status": {"type": "string", "enum": ["ready"]},
                                "checks": _CHECKS,
                                "elapsed_ms": {"type": "integer"},
                            },
                        }
                    ),
                },
                "400": {
                    "description": "`checks` names a dependency that is not checked here.",
                    **_json(_PROBLEM, "application/problem+json"),
                },
                "503": {
                    "description": "A dependency is down; `checks` names each one's state.",
                    **_json(_READINESS_PROBLEM, "application/problem+json"),
                },
            },
        }
    },
    "/metrics": {
        "get": {
            "tags": ["operations"],
            "security": [{}, {"metricsToken": []}],
            "responses": {
                "200": {
                    "description": "Prometheus text exposition format.",
                    **_json({"type": "string"}, "text/plain"),
                },
                "401": {
                    "description": "A metrics token is set and was not sent.",
                    **_json(_PROBLEM, "application/problem+json"),
                },
            },
        }
    },
}


def add_operations_endpoints(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result.setdefault("paths", {}).update(OPERATIONS)
    schemes = result.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["metricsToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "PASSGATE_METRICS_TOKEN, when the operator set one.",
    }
    return result
