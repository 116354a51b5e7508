"""lockout_preview: who a policy change would leave with no way in, as tables."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import pytest
from django.utils import timezone

from auth_methods.factors import TotpFactor
from auth_methods.lockout import (
    NOT_ALONE,
    NOTHING_TO_ENROL,
    lockout_preview,
    no_way_in,
    passkey_blockers,
)
from auth_methods.models import Passkey, TotpDevice, User
from auth_methods.policy import OrgPolicy
from tenants.models import Organisation

MODEL = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
CURRENT = OrgPolicy(org_name="Acme Corp", primary_host="acme.localhost")


def passkey(**facts: Any) -> Passkey:
    values: dict[str, Any] = {
        "algorithm": -7,
        "user_verified": True,
        "backup_eligible": False,
        "aaguid": "00000000-0000-0000-0000-000000000000",
        "aaguid_attested": False,
        "flagged": False,
    }
    return Passkey(**(values | facts))


# --- one passkey against one policy: no database -------------------------------------------

BLOCKERS: list[tuple[dict[str, Any], dict[str, Any], str | None]] = [
    ({}, {}, None),
    ({"passkey_login_enabled": False}, {}, "does not allow signing in with passkeys"),
    ({"algorithms": (-8, -257)}, {}, "Algorithm -7 is not among"),
    ({"algorithms": (-8, -7)}, {}, None),
    ({"user_verification": "required"}, {"user_verified": False}, "requires user verification"),
    ({"user_verification": "required"}, {"user_verified": True}, None),
    ({"user_verification": "discouraged"}, {"user_verified": False}, None),
    ({"allowed_aaguids": (MODEL,)}, {"aaguid": MODEL}, "allow-list"),  # claimed, not proven
    ({"allowed_aaguids": (MODEL,)}, {"aaguid": MODEL, "aaguid_attested": True}, None),
    ({"allowed_aaguids": (MODEL,)}, {"aaguid": MODEL.upper(), "aaguid_attested": True}, None),
    ({"allow_synced_passkeys": False}, {"backup_eligible": True}, "synced"),
    ({"allow_synced_passkeys": False}, {"backup_eligible": False}, None),
    ({"authenticator_attachment": "cross-platform"}, {"attachment": "platform"}, None),
    ({"resident_key": "required"}, {}, None),
    ({}, {"flagged": True}, "flagged"),
]


@pytest.mark.parametrize("changes,facts,expected", BLOCKERS)
def test_passkey_blockers(
    changes: dict[str, Any], facts: dict[str, Any], expected: str | None
) -> None:
    reasons = passkey_blockers(replace(CURRENT, **changes), passkey(**facts), rp_id_changed=False)
    if expected is None:
        assert reasons == []
    else:
        assert len(reasons) == 1 and expected in reasons[0]


def test_a_new_rp_id_strands_every_passkey() -> None:
    policy = replace(CURRENT, rp_id="login.acme.localhost")
    assert passkey_blockers(policy, passkey(), rp_id_changed=True) == [
        "The RP ID changes to login.acme.localhost."
    ]


# --- whole organisations --------------------------------------------------------------------


def _user(email: str, *, password: bool = False, active: bool = True) -> User:
    return User.objects.create_user(
        email, "a-Long-passphrase-1" if password else None, is_active=active
    )


def _add_passkey(user: User, **facts: Any) -> Passkey:
    made = passkey(**facts)
    made.user, made.credential_id, made.public_key = user, os.urandom(16), b"key"
    made.save()
    return made


@pytest.fixture
def people(in_acme: Organisation) -> dict[str, User]:
    """One user per situation, each with one passkey unless said otherwise."""
    made = {
        "solo": _user("solo@acme.test"),  # passkey only, no password
        "password": _user("password@acme.test", password=True),
        "totp": _user("totp@acme.test", password=True),
        "no-uv": _user("no-uv@acme.test"),
        "synced": _user("synced@acme.test"),
        "rsa": _user("rsa@acme.test"),
        "attested": _user("attested@acme.test"),
        "two-keys": _user("two-keys@acme.test"),
        "flagged": _user("flagged@acme.test"),  # cannot sign in today already
        "disabled": _user("disabled@acme.test", active=False),
        "no-passkey": _user("no-passkey@acme.test"),
        "password-only": _user("password-only@acme.test", password=True),  # no passkey
    }
    for name in ("solo", "password", "totp", "disabled"):
        _add_passkey(made[name])
    _add_passkey(made["no-uv"], user_verified=False)
    _add_passkey(made["synced"], backup_eligible=True)
    _add_passkey(made["rsa"], algorithm=-257)
    _add_passkey(made["attested"], aaguid=MODEL, aaguid_attested=True)
    _add_passkey(made["two-keys"], backup_eligible=True)
    _add_passkey(made["two-keys"], algorithm=-257)
    _add_passkey(made["flagged"], flagged=True)
    TotpDevice.objects.create(user=made["totp"], secret_encrypted=b"x", confirmed_at=timezone.now())
    return made


NO_PASSWORD = {"solo", "no-uv", "synced", "rsa", "attested", "two-keys"}

CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("nothing changes", {}, set()),
    ("passkey sign-in off", {"passkey_login_enabled": False}, NO_PASSWORD),
    ("a new RP ID", {"rp_id": "login.acme.localhost"}, NO_PASSWORD),
    ("ES256 dropped", {"algorithms": (-8, -257)}, {"solo", "no-uv", "synced", "attested"}),
    ("RS256 dropped", {"algorithms": (-8, -7)}, {"rsa"}),
    ("UV required", {"user_verification": "required"}, {"no-uv"}),
    ("UV discouraged", {"user_verification": "discouraged"}, set()),
    ("synced refused", {"allow_synced_passkeys": False}, {"synced"}),  # two-keys keeps RS256
    (
        "synced and RS256 refused",
        {"allow_synced_passkeys": False, "algorithms": (-7,)},
        {"synced", "rsa", "two-keys"},
    ),
    (
        "an AAGUID allow-list",
        {"attestation": "direct", "allowed_aaguids": (MODEL,)},
        NO_PASSWORD - {"attested"},
    ),
    ("passwordless only", {"passwordless_only": True}, set()),  # their passkeys still work
    # A passkey used with no password must then be two factors alone: no-uv's is not.
    ("second factor required", {"mfa_required": True}, {"no-uv"}),
    (
        "passkeys off and passwordless only",
        {"passkey_login_enabled": False, "passwordless_only": True},
        NO_PASSWORD | {"password", "totp"},
    ),
    (
        "passkeys off and a second factor required",
        {"passkey_login_enabled": False, "mfa_required": True},
        NO_PASSWORD,  # totp still has a second factor, password can set one up
    ),
    ("attachment is a hint", {"authenticator_attachment": "cross-platform"}, set()),
]


@pytest.mark.parametrize("title,changes,expected", CASES, ids=[c[0] for c in CASES])
def test_lockout_preview(
    people: dict[str, User], title: str, changes: dict[str, Any], expected: set[str]
) -> None:
    preview = lockout_preview(CURRENT, replace(CURRENT, **changes))
    assert {u.email.split("@")[0] for u in preview.users} == expected
    assert preview.count == len(expected)


def test_each_user_gets_the_reasons_that_are_new_and_why_the_password_fails(
    people: dict[str, User],
) -> None:
    proposed = replace(CURRENT, user_verification="required", passwordless_only=True)
    (only,) = lockout_preview(CURRENT, proposed).users
    assert only.email == "no-uv@acme.test" and only.user_id == people["no-uv"].pk
    assert only.reasons == (
        "This organisation requires user verification (PIN or biometrics) and the passkey "
        "did not verify its user (no UV flag).",
        "they have no password",
    )
    current = replace(CURRENT, passkey_login_enabled=False)
    locked = lockout_preview(current, replace(current, passwordless_only=True)).users
    # Passkeys were already off: the new reason is the password rule alone.
    assert {u.email for u in locked} == {"password@acme.test", "totp@acme.test"}
    assert all(
        u.reasons == ("passwordless-only refuses the password of anyone holding a passkey",)
        for u in locked
    )


def test_loosening_the_policy_locks_nobody_out(people: dict[str, User]) -> None:
    strict = replace(CURRENT, passkey_login_enabled=False, mfa_required=True)
    assert lockout_preview(strict, CURRENT).users == ()


def test_attachment_and_other_registration_fields_are_notes_not_lockouts(
    people: dict[str, User],
) -> None:
    proposed = replace(CURRENT, authenticator_attachment="platform", max_passkeys_per_user=2)
    preview = lockout_preview(CURRENT, proposed)
    assert preview.users == ()
    assert preview.registration_notes == (
        "Authenticator attachment: affects new registrations only; existing passkeys keep working.",
        "Passkeys per user: affects new registrations only; existing passkeys keep working.",
    )


def test_the_fingerprint_names_the_list(people: dict[str, User]) -> None:
    one = lockout_preview(CURRENT, replace(CURRENT, user_verification="required"))
    again = lockout_preview(CURRENT, replace(CURRENT, user_verification="required"))
    more = lockout_preview(CURRENT, replace(CURRENT, passkey_login_enabled=False))
    assert one.fingerprint == again.fingerprint != more.fingerprint


def test_it_reads_users_and_passkeys_in_two_queries(
    people: dict[str, User], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        preview = lockout_preview(CURRENT, replace(CURRENT, passkey_login_enabled=False))
    assert preview.count == len(NO_PASSWORD)


def test_it_asks_nothing_of_the_database_when_no_sign_in_rule_changes(
    people: dict[str, User], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        lockout_preview(CURRENT, replace(CURRENT, timeout_seconds=120, rp_name="Acme"))


# --- who must set up a second factor after their password (not locked out) ------------------

ENROL_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("nothing changes", {}, set()),
    ("second factor required", {"mfa_required": True}, {"password-only"}),
    (
        "passkeys off and a second factor required",
        {"passkey_login_enabled": False, "mfa_required": True},
        {"password", "password-only"},  # totp holds an app; the others have no password
    ),
    ("passkeys off", {"passkey_login_enabled": False}, set()),
    ("passwordless only", {"passwordless_only": True}, set()),
]


@pytest.mark.parametrize("title,changes,expected", ENROL_CASES, ids=[c[0] for c in ENROL_CASES])
def test_the_preview_counts_who_must_set_up_a_second_factor(
    people: dict[str, User], title: str, changes: dict[str, Any], expected: set[str]
) -> None:
    preview = lockout_preview(CURRENT, replace(CURRENT, **changes))
    assert {u.email.split("@")[0] for u in preview.must_enrol} == expected
    assert all(u.must_enrol for u in preview.must_enrol)
    assert not {u.email for u in preview.users} & {u.email for u in preview.must_enrol}
    assert preview.needs_confirmation == bool(preview.users or expected)


def test_a_must_enrol_reason_names_what_they_can_set_up(people: dict[str, User]) -> None:
    (only,) = lockout_preview(CURRENT, replace(CURRENT, mfa_required=True)).must_enrol
    assert only.user_id == people["password-only"].pk
    assert "a passkey or an authenticator app" in only.reasons[0]
    no_passkeys = replace(CURRENT, mfa_required=True, passkey_registration_enabled=False)
    (only,) = lockout_preview(CURRENT, no_passkeys).must_enrol
    assert "set up an authenticator app after" in only.reasons[0]


def test_who_had_to_enrol_already_is_not_listed_again(people: dict[str, User]) -> None:
    current = replace(CURRENT, mfa_required=True)
    preview = lockout_preview(current, replace(current, passkey_login_enabled=False))
    assert {u.email for u in preview.must_enrol} == {"password@acme.test"}


def test_with_nothing_they_may_set_up_they_are_locked_out(
    people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TotpFactor, "can_enrol", lambda self, user, *, policy: False)
    proposed = replace(CURRENT, mfa_required=True, passkey_registration_enabled=False)
    preview = lockout_preview(CURRENT, proposed)
    assert preview.must_enrol == ()
    by_name = {u.email.split("@")[0]: u.reasons for u in preview.users}
    assert by_name == {
        "password-only": (NOTHING_TO_ENROL,),
        "no-uv": (f"{NOT_ALONE}, and they have no password",),
    }


def test_no_way_in_judges_one_user_whatever_their_state_today(people: dict[str, User]) -> None:
    passkeys_off = replace(CURRENT, passkey_login_enabled=False)
    assert no_way_in(CURRENT, replace(CURRENT, mfa_required=True), people["password-only"]) == ()
    assert no_way_in(CURRENT, passkeys_off, people["password"]) == ()
    assert no_way_in(CURRENT, passkeys_off, people["solo"]) == (
        "This organisation does not allow signing in with passkeys.",
        "they have no password",
    )
    # Already shut out under the current policy: still reported (the preview would not).
    assert no_way_in(passkeys_off, passkeys_off, people["solo"]) != ()
