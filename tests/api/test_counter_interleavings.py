"""The counter decision under each interleaving, made deterministic: another request's write is
slipped in between this sign-in's read of the passkey and its conditional UPDATE."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from auth_methods.models import Passkey
from auth_methods.passkeys import services
from tenants.context import with_org
from tests.api.conftest import Api
from tests.support.db import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(api: Api) -> Api:
    assert api.register().status_code == 201
    assert api.sign_in().status_code == 200  # stored counter: 1
    return api


@pytest.fixture
def meanwhile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``meanwhile(**changes)``: another request writes ``changes`` to the passkey after this
    sign-in has read and verified it, before it records the sign-in."""
    pending: dict[str, Any] = {}
    verified = services._verified_assertion

    def slipped_in(*args: Any, **kwargs: Any) -> Any:
        result = verified(*args, **kwargs)
        Passkey.objects.update(**pending)
        return result

    monkeypatch.setattr(services, "_verified_assertion", slipped_in)
    yield pending.update


def stored(api: Api) -> Passkey:
    with with_org(api.org):
        return Passkey.objects.get()


def test_a_higher_counter_stored_meanwhile_makes_this_one_a_regression(
    enrolled: Api, meanwhile: Callable[..., None]
) -> None:
    meanwhile(sign_count=100)
    assert_problem(enrolled.sign_in(), 400, "sign_count_regressed")
    passkey = stored(enrolled)
    assert passkey.sign_count == 100  # never lowered
    assert passkey.flagged and passkey.flagged_at is not None


def test_a_flag_set_meanwhile_refuses_a_counter_that_did_grow(
    enrolled: Api, meanwhile: Callable[..., None]
) -> None:
    last_used = stored(enrolled).last_used_at
    meanwhile(flagged=True)
    assert_problem(enrolled.sign_in(), 403, "credential_flagged")
    passkey = stored(enrolled)
    assert passkey.sign_count == 1 and passkey.last_used_at == last_used
    assert passkey.flagged and passkey.flagged_at is None  # the other request's flag, as it was


def test_a_passkey_deleted_meanwhile_is_unknown(
    enrolled: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified = services._verified_assertion

    def deleted(*args: Any, **kwargs: Any) -> Any:
        result = verified(*args, **kwargs)
        Passkey.objects.all().delete()
        return result

    monkeypatch.setattr(services, "_verified_assertion", deleted)
    assert_problem(enrolled.sign_in(), 400, "credential_unknown")
    with with_org(enrolled.org):
        assert not Passkey.objects.exists()
