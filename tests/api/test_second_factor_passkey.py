"""The passkey as the second step, through the factor registry: the proof is a WebAuthn
assertion, and it must come from the passkey of the person whose password was accepted."""

from __future__ import annotations

from typing import Any

import pytest

from auth_methods.audit import Actor
from auth_methods.errors import AuthError
from auth_methods.models import Passkey, User
from auth_methods.passkeys import services
from auth_methods.second_factor import second_factor_verify
from auth_methods.settings_service import policy_for
from tenants.context import with_org
from tests.api.conftest import Api
from tests.support.authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db

ACTOR = Actor(label="test")


def assertion(api: Api, authenticator: SoftAuthenticator, external_id: str) -> Any:
    ctx = services.CeremonyContext(policy=policy_for(api.org), actor=ACTOR)
    options = services.authentication_options(ctx=ctx, external_id=external_id)
    return authenticator.get(options, origin=api.origin)


def test_the_pending_users_passkey_passes_the_second_step(api: Api) -> None:
    assert api.register("u1", "ada@acme.test").status_code == 201
    with with_org(api.org):
        user = User.objects.get(external_id="u1")
        proof = assertion(api, api.authenticator, "u1")
        second_factor_verify(
            policy=policy_for(api.org), actor=ACTOR, user=user, kind="passkey", proof=proof
        )
        assert Passkey.objects.get(user=user).sign_count == 1


def test_someone_elses_passkey_does_not_pass_and_changes_nothing(api: Api) -> None:
    other = SoftAuthenticator()
    assert api.register("u1", "ada@acme.test").status_code == 201
    assert api.register("u2", "bob@acme.test", authenticator=other).status_code == 201
    with with_org(api.org):
        ada = User.objects.get(external_id="u1")
        proof = assertion(api, other, "u2")  # Bob's passkey, offered for Ada
        with pytest.raises(AuthError) as caught:
            second_factor_verify(
                policy=policy_for(api.org), actor=ACTOR, user=ada, kind="passkey", proof=proof
            )
        assert caught.value.code == "credential_unknown"
        assert sorted(Passkey.objects.values_list("sign_count", flat=True)) == [0, 0]
