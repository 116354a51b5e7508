"""An integrator's user is created by a statement built once that yields, instead of failing,
to a taken id or name: the row must be the one ``create_user`` writes."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from auth_methods.models import User
from auth_methods.user_statements import user_insert_unless_taken, users_by_external_id_or_email
from tenants.models import Organisation

pytestmark = pytest.mark.django_db
RANDOM = ["id", "password", "webauthn_user_handle", "external_id"]


def test_the_row_is_the_one_create_user_writes(in_acme: Organisation) -> None:
    made = User.objects.create_user(" Made@Acme.test", None, display_name="Made")
    new = User.objects.new_user(" New@Acme.test", None, external_id="ext-1", display_name="Made")
    assert user_insert_unless_taken(new)
    stored = User.objects.get(pk=new.pk)
    assert (stored.email, stored.external_id) == ("new@acme.test", "ext-1")
    expected = {**model_to_dict(made, exclude=RANDOM), "email": "new@acme.test"}
    assert model_to_dict(stored, exclude=RANDOM) == expected
    assert not stored.has_usable_password() and stored.created_at == new.created_at
    assert bytes(stored.webauthn_user_handle) == bytes(new.webauthn_user_handle)


@pytest.mark.parametrize("taken", ["email", "external_id"])
def test_a_taken_value_inserts_nothing_and_says_so(in_acme: Organisation, taken: str) -> None:
    User.objects.create_user("first@acme.test", None, external_id="ext-1")
    clash = {"email": "first@acme.test", "external_id": "ext-2"}
    if taken == "external_id":
        clash = {"email": "second@acme.test", "external_id": "ext-1"}
    new = User.objects.new_user(clash["email"], None, external_id=clash["external_id"])
    assert not user_insert_unless_taken(new)
    assert new.pk is None and User.objects.count() == 1


def test_both_holders_are_found_in_one_read(in_acme: Organisation) -> None:
    one = User.objects.create_user("one@acme.test", None, external_id="ext-1")
    two = User.objects.create_user("two@acme.test", None, external_id="ext-2")
    found = users_by_external_id_or_email("ext-1", "two@acme.test")
    assert sorted(u.pk for u in found) == sorted([one.pk, two.pk])
    assert users_by_external_id_or_email("nobody", "nobody@acme.test") == []
