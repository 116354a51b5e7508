"""A recovery link restores one lost factor: its session may only enrol a passkey and remove
the lost ones, and a second factor the user still holds is asked first where it is required."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client

from auth_methods import errors
from auth_methods.audit import Actor, Via
from auth_methods.models import Passkey, RecoveryCodeSet, TotpDevice, User
from auth_methods.policy import OrgPolicy
from auth_methods.reauth import require_recent_auth
from auth_methods.recovery import recovery_second_factor_due
from auth_methods.recovery_codes.services import recovery_codes_generate
from auth_methods.sessions import PENDING_SECONDS
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import make_api
from tests.portal.conftest import signed_in
from tests.portal.test_account_factors import (
    CODES,
    TURN_OFF,
    code_for,
    generate_codes,
    hashes,
    set_up_totp,
    totp_state,
)

pytestmark = pytest.mark.django_db

OPTIONS = re.compile(r'<script id="passkey-options" type="application/json">')


def recovered(client: Client, user: User, capture: Any, mailoutbox: list[Any]) -> Any:
    """Ask for a link and redeem it in ``client``; returns the redeem response."""
    with capture(execute=True):
        assert client.post("/recover", {"email": user.email}).status_code == 200
    token = re.search(r"/recover/(\S+)", mailoutbox[-1].body).group(1)  # type: ignore[union-attr]
    return client.post(f"/recover/{token}")


def with_totp_and_codes(org: Organisation, user: User) -> tuple[str, list[str]]:
    owner = signed_in(org, user)
    return set_up_totp(owner), generate_codes(owner)


def session_actor(user: User, **stamps: float | None) -> Actor:
    return Actor(user=user, label=user.email, via=Via.SESSION, **stamps)  # type: ignore[arg-type]


def test_a_recovery_session_may_enrol_a_passkey_but_not_regenerate_codes_or_turn_off_totp(
    acme: Organisation, member: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    # The org does not require a second factor, so the link opens a (restricted) session.
    _, _codes = with_totp_and_codes(acme, member)
    before = hashes(acme, member)
    client = Client(HTTP_HOST="acme.localhost")
    response = recovered(client, member, django_capture_on_commit_callbacks, mailoutbox)
    assert response.status_code == 302 and response["Location"] == "/account/security"
    assert "passgate_auth_at" not in client.session, "no fresh step-up stamp"
    page = client.get("/account/security").content.decode()
    assert OPTIONS.search(page), "enrolling a passkey is offered"
    assert "Remove all my older passkeys" in page
    for path in (CODES, TURN_OFF):
        refused = client.post(path)
        assert refused.status_code == 302 and refused["Location"].startswith("/login/confirm")
    assert hashes(acme, member) == before
    assert totp_state(acme, member) == [True]


def test_the_restore_ends_after_the_step_up_window(
    acme: Organisation, member: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = Client(HTTP_HOST="acme.localhost")
    recovered(client, member, django_capture_on_commit_callbacks, mailoutbox)
    session = client.session
    session["passgate_recovery_at"] = int(time.time()) - 3600
    session.save()
    assert not OPTIONS.search(client.get("/account/security").content.decode())
    refused = client.post("/account/passkeys/revoke-others")
    assert refused.status_code == 302 and refused["Location"].startswith("/login/confirm")


def test_a_recovery_session_removes_the_lost_passkeys(
    acme: Organisation, member: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with with_org(acme):
        member.external_id = "m1"
        member.save()
    assert make_api(acme, []).register("m1", member.email).status_code == 201  # the lost one
    client = Client(HTTP_HOST="acme.localhost")
    recovered(client, member, django_capture_on_commit_callbacks, mailoutbox)
    assert client.post("/account/passkeys/revoke-others").status_code == 302
    with with_org(acme):
        assert not Passkey.objects.filter(user=member).exists()


def test_under_mfa_required_the_held_factor_is_asked_before_a_session(
    acme: Organisation, member: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    secret, _ = with_totp_and_codes(acme, member)
    make_api(acme, ["admin"]).set_policy(mfa_required=True)
    before = hashes(acme, member)
    client = Client(HTTP_HOST="acme.localhost")
    response = recovered(client, member, django_capture_on_commit_callbacks, mailoutbox)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/second-factor")
    assert "_auth_user_id" not in client.session, "no session before the second factor"
    assert client.get("/account/security")["Location"].startswith("/login")
    assert client.post(CODES)["Location"].startswith("/login")
    assert hashes(acme, member) == before
    done = client.post(
        "/login/second-factor/totp?next=/account/security", {"code": code_for(secret, later=30)}
    )
    assert done.status_code == 302 and done["Location"] == "/account/security"
    page = client.get("/account/security").content.decode()
    assert member.email in page and "Remove all my older passkeys" in page
    # Link and app together are a full sign-in: the step-up pages open.
    assert client.post(CODES).status_code == 200


def test_a_recovery_code_is_the_held_factor_too(
    acme: Organisation, member: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    owner = signed_in(acme, member)
    codes = generate_codes(owner)
    make_api(acme, ["admin"]).set_policy(mfa_required=True)
    client = Client(HTTP_HOST="acme.localhost")
    response = recovered(client, member, django_capture_on_commit_callbacks, mailoutbox)
    assert response["Location"].startswith("/login/second-factor")
    wrong = client.post("/login/second-factor/recovery-code", {"code": "aaaaa-bbbbb"})
    assert wrong.status_code == 400 and "_auth_user_id" not in client.session
    done = client.post("/login/second-factor/recovery-code", {"code": codes[0]})
    assert done.status_code == 302 and "_auth_user_id" in client.session


def test_the_second_step_after_a_link_lapses_like_a_passwords(
    acme: Organisation, member: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    secret, _ = with_totp_and_codes(acme, member)
    make_api(acme, ["admin"]).set_policy(mfa_required=True)
    client = Client(HTTP_HOST="acme.localhost")
    recovered(client, member, django_capture_on_commit_callbacks, mailoutbox)
    session = client.session
    session["passgate_pending_at"] = int(time.time()) - PENDING_SECONDS - 1
    session.save()
    late = client.post("/login/second-factor/totp", {"code": code_for(secret, later=30)})
    assert late.status_code == 302 and late["Location"] == "/login"
    assert "_auth_user_id" not in client.session


def test_without_another_factor_mfa_required_still_lets_the_link_restore_the_passkey(
    acme: Organisation, member: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    make_api(acme, ["admin"]).set_policy(mfa_required=True)
    client = Client(HTTP_HOST="acme.localhost")
    response = recovered(client, member, django_capture_on_commit_callbacks, mailoutbox)
    assert response["Location"] == "/account/security"
    assert OPTIONS.search(client.get("/account/security").content.decode())
    assert client.post(CODES)["Location"].startswith("/login/confirm")
    with with_org(acme):
        assert not RecoveryCodeSet.objects.filter(user=member).exists()
        assert not TotpDevice.objects.filter(user=member).exists()


def test_the_rule_decides_when_the_link_needs_a_second_factor(
    acme: Organisation, member: User
) -> None:
    with with_org(acme):
        required = OrgPolicy(mfa_required=True)
        assert not recovery_second_factor_due(OrgPolicy(mfa_required=False), member)
        assert not recovery_second_factor_due(required, member)  # nothing else held
    generate_codes(signed_in(acme, member))
    with with_org(acme):
        assert recovery_second_factor_due(required, member)
        assert not recovery_second_factor_due(OrgPolicy(mfa_required=False), member)


def test_a_recovery_stamp_counts_only_for_restoring_the_passkey(
    acme: Organisation, member: User
) -> None:
    actor = session_actor(member, recovered_at=time.time())
    require_recent_auth(actor, recovery_allows=True)
    with pytest.raises(errors.AuthError) as refused:
        require_recent_auth(actor)
    assert refused.value.code == "reauthentication_required"
    with with_org(acme), pytest.raises(errors.AuthError) as also:
        recovery_codes_generate(actor=actor, user=member)
    assert also.value.code == "reauthentication_required"
    with with_org(acme):
        assert not RecoveryCodeSet.objects.filter(user=member).exists()
    stale = session_actor(member, recovered_at=time.time() - 3600)
    with pytest.raises(errors.AuthError):
        require_recent_auth(stale, recovery_allows=True)
