"""Schema-driven fuzzing of the ceremony bodies: whatever arrives, never a 5xx."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auth_methods.models import Passkey
from tenants.context import with_org
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
b64ish = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/!", max_size=80
)
replacement = json_values | b64ish | st.binary(max_size=40).map(lambda b: b.hex())


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.throttling import PerIpThrottle, PerKeyThrottle

    for throttle in (PerIpThrottle, PerKeyThrottle):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", {"ip": "100000/min", "key": "100000/min"})


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            found += paths(value, (*prefix, key))
    return found


def mutate(obj: dict[str, Any], path: tuple[Any, ...], value: Any, drop: bool) -> dict[str, Any]:
    clone = copy.deepcopy(obj)
    parent = clone
    for key in path[:-1]:
        parent = parent[key]
    if drop:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = value
    return clone


def assert_no_server_error(response: Any) -> None:
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert "code" in json.loads(response.content)


@FUZZ
@given(body=json_values)
def test_arbitrary_json_never_reaches_a_500(api: Api, body: Any) -> None:
    for path in (
        "/webauthn/register/options",
        "/webauthn/register",
        "/webauthn/authenticate/options",
        "/webauthn/authenticate",
    ):
        assert_no_server_error(api.post(path, body))


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_arbitrary_bytes_never_reach_a_500(api: Api, raw: bytes) -> None:
    for path in ("/webauthn/register", "/webauthn/authenticate"):
        assert_no_server_error(api.client.post(path, raw, content_type="application/json"))


@FUZZ
@given(data=st.data(), value=replacement, drop=st.booleans())
def test_mutated_registration_responses_never_reach_a_500(
    api: Api, data: Any, value: Any, drop: bool
) -> None:
    with with_org(api.org):  # mutations that still verify register; keep under the limit
        Passkey.objects.all().delete()
    options = api.post(
        "/webauthn/register/options", {"user": {"id": "f1", "name": "f1@acme.test"}}
    ).json()
    credential = api.authenticator.create(options, origin=api.origin)
    path = data.draw(st.sampled_from(paths(credential)))
    assert_no_server_error(
        api.post("/webauthn/register", {"credential": mutate(credential, path, value, drop)})
    )


@FUZZ
@given(data=st.data(), value=replacement, drop=st.booleans())
def test_mutated_assertions_never_reach_a_500(api: Api, data: Any, value: Any, drop: bool) -> None:
    if not api.authenticator.credentials:
        assert api.register("f2", "f2@acme.test").status_code == 201
    options = api.post("/webauthn/authenticate/options", {}).json()
    credential = api.authenticator.get(options, origin=api.origin)
    path = data.draw(st.sampled_from(paths(credential)))
    assert_no_server_error(
        api.post("/webauthn/authenticate", {"credential": mutate(credential, path, value, drop)})
    )
