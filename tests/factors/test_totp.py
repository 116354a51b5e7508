from __future__ import annotations

import time
from collections.abc import Iterator

import pyotp
import pytest

from auth_methods.audit import Actor
from auth_methods.errors import AuthError
from auth_methods.models import AuditEvent, TotpDevice, User
from auth_methods.policy import OrgPolicy
from auth_methods.recovery_codes.services import recovery_codes_generate
from auth_methods.totp import codes
from auth_methods.totp.services import totp_begin, totp_confirm, totp_disable, totp_verify
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db

# The middle of a 30 s step, so "one step back" never straddles a boundary mid-test.
NOW = (int(time.time()) // 30) * 30 + 15


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codes, "_now", lambda: float(NOW))


@pytest.fixture
def user(acme: Organisation) -> Iterator[User]:
    with with_org(acme):
        yield user_create(email="ada@acme.test")


def actor(user: User) -> Actor:
    return Actor(user=user, ip="192.0.2.1")


def enrolled(user: User) -> pyotp.TOTP:
    """A confirmed app, its confirming code spent at the step before NOW."""
    setup = totp_begin(user=user, issuer="Acme Corp")
    totp = pyotp.TOTP(setup.secret_b32)
    totp_confirm(actor=actor(user), user=user, code=totp.at(NOW - 30))
    return totp


def wrong_code(totp: pyotp.TOTP) -> str:
    live = {totp.at(NOW + offset) for offset in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in live)


def test_it_stores_the_seed_encrypted(user: User) -> None:
    setup = totp_begin(user=user, issuer="Acme Corp")
    stored = bytes(TotpDevice.objects.get(user=user).secret_encrypted)
    assert setup.secret_b32.encode() not in stored
    assert len(setup.secret_b32) == 32  # 160 bits
    assert setup.provisioning_uri.startswith("otpauth://totp/Acme%20Corp:ada%40acme.test?")
    assert "issuer=Acme%20Corp" in setup.provisioning_uri
    assert setup.qr_svg.startswith("<svg") and "<?xml" not in setup.qr_svg


def test_it_confirms_with_a_valid_code(user: User) -> None:
    setup = totp_begin(user=user, issuer="Acme Corp")
    assert TotpDevice.objects.get(user=user).confirmed_at is None
    totp_confirm(actor=actor(user), user=user, code=pyotp.TOTP(setup.secret_b32).at(NOW))
    assert TotpDevice.objects.get(user=user).confirmed_at is not None
    event = AuditEvent.objects.get(action="totp.enable")
    assert event.outcome == "success" and event.subject == user


def test_it_refuses_a_wrong_confirmation_code(user: User) -> None:
    setup = totp_begin(user=user, issuer="Acme Corp")
    wrong = wrong_code(pyotp.TOTP(setup.secret_b32))
    with pytest.raises(AuthError) as caught:
        totp_confirm(actor=actor(user), user=user, code=wrong)
    assert (caught.value.code, caught.value.field) == ("invalid_request", "code")
    assert TotpDevice.objects.get(user=user).confirmed_at is None
    assert AuditEvent.objects.get(action="totp.enable").outcome == "failure"


def test_it_refuses_to_restart_over_a_confirmed_app(user: User) -> None:
    enrolled(user)
    with pytest.raises(AuthError):
        totp_begin(user=user, issuer="Acme Corp")
    assert TotpDevice.objects.get(user=user).confirmed_at is not None


def test_it_signs_in_with_the_current_code(user: User) -> None:
    totp = enrolled(user)
    totp_verify(actor=actor(user), user=user, code=totp.at(NOW))
    assert AuditEvent.objects.filter(action="totp.verify", outcome="success").count() == 1


def test_it_accepts_spaces_inside_the_code(user: User) -> None:
    totp = enrolled(user)
    code = totp.at(NOW)
    totp_verify(actor=actor(user), user=user, code=f" {code[:3]} {code[3:]} ")


def test_it_refuses_a_replayed_code(user: User) -> None:
    totp = enrolled(user)
    code = totp.at(NOW)
    totp_verify(actor=actor(user), user=user, code=code)
    with pytest.raises(AuthError) as caught:
        totp_verify(actor=actor(user), user=user, code=code)
    assert caught.value.detail == "That code is not valid."
    failure = AuditEvent.objects.get(action="totp.verify", outcome="failure")
    assert failure.code == "invalid_request" and failure.subject == user


def test_it_refuses_the_code_that_confirmed_the_app(user: User) -> None:
    totp = enrolled(user)
    with pytest.raises(AuthError):
        totp_verify(actor=actor(user), user=user, code=totp.at(NOW - 30))


def test_it_refuses_an_older_code_after_a_newer_one(user: User) -> None:
    setup = totp_begin(user=user, issuer="Acme Corp")
    totp = pyotp.TOTP(setup.secret_b32)
    totp_confirm(actor=actor(user), user=user, code=totp.at(NOW + 30))
    with pytest.raises(AuthError):
        totp_verify(actor=actor(user), user=user, code=totp.at(NOW))


def test_it_accepts_the_previous_step_but_not_two_back(user: User) -> None:
    setup = totp_begin(user=user, issuer="Acme Corp")
    totp = pyotp.TOTP(setup.secret_b32)
    with pytest.raises(AuthError):
        totp_confirm(actor=actor(user), user=user, code=totp.at(NOW - 60))
    totp_confirm(actor=actor(user), user=user, code=totp.at(NOW - 30))


def test_it_accepts_the_next_step_for_a_slow_clock(user: User) -> None:
    totp = enrolled(user)
    totp_verify(actor=actor(user), user=user, code=totp.at(NOW + 30))


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_it_refuses_malformed_codes(user: User, code: str) -> None:
    enrolled(user)
    with pytest.raises(AuthError) as caught:
        totp_verify(actor=actor(user), user=user, code=code)
    assert caught.value.code == "invalid_request"


def test_it_refuses_a_user_without_a_confirmed_app(user: User) -> None:
    setup = totp_begin(user=user, issuer="Acme Corp")
    with pytest.raises(AuthError) as caught:
        totp_verify(actor=actor(user), user=user, code=pyotp.TOTP(setup.secret_b32).at(NOW))
    assert caught.value.code == "invalid_request"


def test_the_sixth_attempt_in_the_window_is_rate_limited(user: User) -> None:
    totp = enrolled(user)
    for _ in range(5):
        with pytest.raises(AuthError) as caught:
            totp_verify(actor=actor(user), user=user, code=wrong_code(totp))
        assert caught.value.code == "invalid_request"
    with pytest.raises(AuthError) as caught:
        totp_verify(actor=actor(user), user=user, code=totp.at(NOW))
    assert caught.value.code == "rate_limited"


def test_disable_is_refused_for_the_last_required_factor(user: User) -> None:
    enrolled(user)
    with pytest.raises(AuthError) as caught:
        totp_disable(actor=actor(user), user=user, policy=OrgPolicy(mfa_required=True))
    assert caught.value.code == "last_factor"
    assert TotpDevice.objects.filter(user=user).exists()


def test_disable_is_allowed_when_the_org_does_not_require_a_factor(user: User) -> None:
    enrolled(user)
    totp_disable(actor=actor(user), user=user, policy=OrgPolicy(mfa_required=False))
    assert not TotpDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action="totp.disable")
    assert event.data == {"confirmed": True}


def test_disable_is_allowed_when_another_factor_remains(user: User) -> None:
    enrolled(user)
    recovery_codes_generate(actor=actor(user), user=user)
    totp_disable(actor=actor(user), user=user, policy=OrgPolicy(mfa_required=True))
    assert not TotpDevice.objects.filter(user=user).exists()


def test_disable_drops_a_pending_enrolment_even_when_required(user: User) -> None:
    totp_begin(user=user, issuer="Acme Corp")
    totp_disable(actor=actor(user), user=user, policy=OrgPolicy(mfa_required=True))
    assert not TotpDevice.objects.filter(user=user).exists()


def test_disable_without_an_app_is_not_found(user: User) -> None:
    with pytest.raises(AuthError) as caught:
        totp_disable(actor=actor(user), user=user, policy=OrgPolicy())
    assert caught.value.code == "not_found"
