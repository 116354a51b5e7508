"""The ceremony serializers bind their fields once per class; instances share them and still
answer each for its own data."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import ValidationError

from api.serializers import PasskeySerializer, WebAuthnUserSerializer
from api.webauthn import RegisterOptionsApi
from auth_methods.models import User


def test_instances_share_one_bound_set_of_fields() -> None:
    first, second = WebAuthnUserSerializer(), WebAuthnUserSerializer()
    assert first.fields is second.fields
    assert first.fields is not PasskeySerializer().fields  # one set per class


def test_shared_fields_keep_no_state_between_instances() -> None:
    alice = User(email="alice@acme.test", external_id="a", display_name="Alice")
    bob = User(email="bob@acme.test", external_id="b", display_name="")
    assert WebAuthnUserSerializer(alice).data == {
        "id": "a",
        "name": "alice@acme.test",
        "display_name": "Alice",
    }
    assert WebAuthnUserSerializer(bob).data == {
        "id": "b",
        "name": "bob@acme.test",
        "display_name": "",
    }


def test_validation_errors_stay_with_their_instance() -> None:
    body = RegisterOptionsApi.RegisterOptionsInput
    bad = body(data={"user": {"id": 42, "name": "x@acme.test"}})
    good = body(data={"user": {"id": "u1", "name": "x@acme.test"}})
    with pytest.raises(ValidationError):
        bad.is_valid(raise_exception=True)
    assert good.is_valid(), good.errors
    assert dict(good.validated_data["user"]) == {"id": "u1", "name": "x@acme.test"}
    assert "user" in bad.errors and not good.errors
