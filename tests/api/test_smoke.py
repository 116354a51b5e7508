from __future__ import annotations

import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def test_register_then_sign_in(api: Api) -> None:
    registered = api.register()
    assert registered.status_code == 201, registered.json()
    signed = api.sign_in()
    assert signed.status_code == 200, signed.json()
    body = signed.json()
    assert body["user"]["id"] == "u1"
    assert body["user_verified"] is True
    assert body["token"].count(".") == 2
