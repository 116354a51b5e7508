"""auth_methods.reauth: the rule, and every sensitive service asking it itself, so that no
door (portal, session REST, a door not written yet) can skip it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from auth_methods import reauth
from auth_methods.api_keys import api_key_create, api_key_revoke
from auth_methods.audit import Actor, Via
from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.passkeys import management
from auth_methods.passkeys.services import CeremonyContext, registration_options
from auth_methods.password_change import password_change, password_remove
from auth_methods.recovery import registration_link_send, revoke_other_passkeys
from auth_methods.recovery_codes.services import recovery_codes_generate
from auth_methods.second_factor import second_factor_wipe
from auth_methods.settings_service import auth_settings_update, policy_for
from auth_methods.totp.services import totp_confirm, totp_disable
from auth_methods.users import user_create, user_update
from tenants.context import with_org
from tests.step_up.conftest import World, state

NOW = 1_900_000_000.0


def session(signed_in_ago: float | None) -> Actor:
    at = None if signed_in_ago is None else NOW - signed_in_ago
    return Actor(label="someone", via=Via.SESSION, authenticated_at=at)


@pytest.mark.parametrize(
    "actor,recent",
    [
        (session(0), True),
        (session(600), True),
        (session(601), False),
        (session(None), False),  # a session that never proved who it is
        (Actor(via=Via.ANONYMOUS), False),
        (Actor(via=Via.API_KEY), True),  # its own credential
        (Actor(via=Via.CLI), True),
        (Actor(via=Via.SYSTEM), True),
        (replace(session(6000), via=Via.API_KEY), True),
    ],
)
def test_the_rule(actor: Actor, recent: bool) -> None:
    assert reauth.is_recent(actor, now=NOW) is recent


Service = Callable[[Actor, World], Any]

SERVICES: dict[str, Service] = {
    "auth_settings_update": lambda a, w: auth_settings_update(
        org=w.org, actor=a, changes={"mfa_required": True}
    ),
    "user_create": lambda a, w: user_create(
        email="eve@acme.test", password="Eve-chose-this-1", role="admin", actor=a
    ),
    "user_update": lambda a, w: user_update(actor=a, user=_bob(), changes={"active": False}),
    "passkeys_remove_all": lambda a, w: management.passkeys_remove_all(actor=a, user=_bob()),
    "second_factor_wipe": lambda a, w: second_factor_wipe(actor=a, user=_bob()),
    "registration_link_send": lambda a, w: registration_link_send(actor=a, user=_bob()),
    "api_key_create": lambda a, w: api_key_create(actor=a, name="Minted", scopes=["admin"]),
    "api_key_revoke": lambda a, w: api_key_revoke(actor=a, key=w.key),
    "passkey_rename": lambda a, w: management.passkey_rename(
        actor=a, passkey=w.my_passkey, label="Renamed"
    ),
    "passkey_clear_flag": lambda a, w: management.passkey_clear_flag(actor=a, passkey=w.my_passkey),
    "passkey_delete": lambda a, w: management.passkey_delete(
        actor=a, passkey=w.my_passkey, policy=policy_for(w.org), guard_last_factor=True
    ),
    "registration_options": lambda a, w: registration_options(
        ctx=CeremonyContext(policy=policy_for(w.org), actor=a), user=w.admin
    ),
    "revoke_other_passkeys": lambda a, w: revoke_other_passkeys(actor=a, user=w.admin, keep_ids=[]),
    "recovery_codes_generate": lambda a, w: recovery_codes_generate(actor=a, user=w.admin),
    "totp_confirm": lambda a, w: totp_confirm(actor=a, user=w.admin, code="000000"),
    "totp_disable": lambda a, w: totp_disable(actor=a, user=w.admin, policy=policy_for(w.org)),
    "password_change": lambda a, w: password_change(
        actor=a, user=w.admin, policy=policy_for(w.org), new_password="Chosen-anew-3"
    ),
    "password_remove": lambda a, w: password_remove(
        actor=a, user=w.admin, policy=policy_for(w.org)
    ),
}


def _bob() -> User:
    return User.objects.get(external_id="bob")


@pytest.mark.django_db
@pytest.mark.parametrize("name", SERVICES)
def test_every_sensitive_service_refuses_a_stale_session_itself(world: World, name: str) -> None:
    stale = Actor(
        user=world.admin,
        label=world.admin.email,
        via=Via.SESSION,
        authenticated_at=time.time() - reauth.RECENT_AUTH_SECONDS - 1,
    )
    before = state(world.org)
    with with_org(world.org), pytest.raises(AuthError) as refused:
        SERVICES[name](stale, world)
    assert refused.value.code == "reauthentication_required" and refused.value.status == 403
    assert state(world.org) == before


@pytest.mark.django_db
@pytest.mark.parametrize("via", [Via.API_KEY, Via.CLI])
@pytest.mark.parametrize("name", SERVICES)
def test_keys_and_the_cli_are_never_asked(world: World, name: str, via: Via) -> None:
    with with_org(world.org):
        try:
            SERVICES[name](Actor(label=str(via), via=via), world)
        except AuthError as exc:  # e.g. the TOTP code is wrong: any answer but step-up
            assert exc.code != "reauthentication_required"
