"""Password sign-ins: audited when they succeed, and only wrong guesses use up the budget."""

from __future__ import annotations

import pytest
from django.test import Client

from auth_methods.models import AuditEvent, User
from auth_methods.stats import org_overview
from tenants.context import use_public_schema, with_org
from tenants.models import Organisation
from tests.portal.conftest import PASSWORD, signed_in

pytestmark = pytest.mark.django_db


def _client(ip: str) -> Client:
    return Client(HTTP_HOST="acme.localhost", REMOTE_ADDR=ip)


def test_a_successful_password_sign_in_is_audited_and_counted(
    acme: Organisation, admin: User
) -> None:
    response = _client("10.0.0.1").post("/login", {"email": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    with with_org(acme):
        event = AuditEvent.objects.get(action="password.sign_in", outcome="success")
        assert event.subject == admin and event.ip == "10.0.0.1"
        assert org_overview().sign_ins_ok == 1


def test_the_overview_page_shows_password_sign_ins(acme: Organisation, admin: User) -> None:
    client = signed_in(acme, admin)
    signed_in(acme, admin)
    page = client.get("/orgs/acme/portal/").content.decode()
    assert '<div class="stat">2</div><div class="muted">successful sign-ins' in page


def test_a_step_up_is_audited_as_such_and_is_not_a_sign_in(acme: Organisation, admin: User) -> None:
    client = signed_in(acme, admin)
    assert client.post("/login/confirm", {"password": PASSWORD}).status_code == 302
    with with_org(acme):
        assert AuditEvent.objects.filter(action="password.reauthenticate").count() == 1
        assert org_overview().sign_ins_ok == 1


def test_successful_sign_ins_never_use_up_the_budget(acme: Organisation, admin: User) -> None:
    client = _client("10.0.0.1")
    for _ in range(15):
        response = client.post("/login", {"email": admin.email, "password": PASSWORD})
        assert response.status_code == 302


def test_wrong_guesses_use_it_up_for_that_client(acme: Organisation, admin: User) -> None:
    guesser = _client("10.0.0.66")
    for _ in range(10):
        assert guesser.post("/login", {"email": admin.email, "password": "x"}).status_code == 400
    refused = guesser.post("/login", {"email": admin.email, "password": PASSWORD})
    assert refused.status_code == 400 and "Too many sign-in attempts" in refused.content.decode()
    with with_org(acme):
        assert not AuditEvent.objects.filter(action="password.sign_in", outcome="success")


def test_a_stranger_cannot_lock_the_owner_out(acme: Organisation, admin: User) -> None:
    stranger = _client("10.0.0.66")
    for _ in range(12):
        stranger.post("/login", {"email": admin.email, "password": "wrong"})
    owner = _client("10.0.0.1").post("/login", {"email": admin.email, "password": PASSWORD})
    assert owner.status_code == 302


def test_one_client_guessing_many_accounts_is_stopped(acme: Organisation) -> None:
    guesser = _client("10.0.0.66")
    for n in range(50):
        guesser.post("/login", {"email": f"u{n}@acme.test", "password": "x"})
    refused = guesser.post("/login", {"email": "u99@acme.test", "password": "x"})
    assert "Too many sign-in attempts" in refused.content.decode()


@pytest.fixture
def staff(orgs: dict[str, Organisation], db: None) -> User:
    use_public_schema()
    return User.objects.create_superuser("staff@passgate.test", PASSWORD)


def test_django_admin_login_is_throttled_on_wrong_guesses_only(staff: User) -> None:
    platform = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.0.0.66")
    for _ in range(12):
        ok = platform.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
        assert ok.status_code == 302
        platform.post("/admin/logout/")
    for _ in range(10):
        wrong = platform.post("/admin/login/", {"username": staff.email, "password": "nope"})
        assert wrong.status_code == 200
    refused = platform.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert refused.status_code == 429 and refused["Retry-After"] == "900"
    assert "_auth_user_id" not in platform.session
    other = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.0.0.1")
    assert (
        other.post("/admin/login/", {"username": staff.email, "password": PASSWORD}).status_code
        == 302
    )
