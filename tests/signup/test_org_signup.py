"""Organisations sign up by themselves on the platform host (auth_methods/org_signup.py)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import Client

from auth_methods.models import RecoveryLink, User
from auth_methods.org_signup import PER_CLIENT, invitation_create, signup_link, signup_request
from tenants.context import with_org
from tenants.models import Organisation, PlatformAuditEvent, SignupRequest
from tenants.services import org_delete, org_set_active

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://localhost/signup/confirm/(?P<id>[0-9a-f-]+)/(?P<token>[0-9a-f]+)")


@pytest.fixture(autouse=True)
def _no_earlier_signups(db: None) -> None:
    # Browser tests commit their sign-ups; inside this test's transaction they are gone.
    SignupRequest.objects.all().delete()
    PlatformAuditEvent.objects.all().delete()


@pytest.fixture
def platform() -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def open_signup(settings: Any) -> None:
    settings.SIGNUP_MODE = "open"


def ask(
    client: Client,
    capture: Any,
    slug: str = "newco",
    email: str = "founder@newco.test",
    **extra: str,
) -> Any:
    with capture(execute=True):
        return client.post("/signup", {"org_name": "New Co", "slug": slug, "email": email, **extra})


def the_link() -> re.Match[str]:
    match = LINK.search(str(mail.outbox[-1].body))
    assert match is not None, mail.outbox[-1].body
    return match


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


@pytest.mark.usefixtures("open_signup")
def test_a_confirmed_link_creates_the_org_and_its_first_admin_once(
    orgs: object, platform: Client, django_capture_on_commit_callbacks: Any
) -> None:
    response = ask(platform, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and b"Check your email" in response.content
    # Nothing but the request exists until the email is confirmed.
    assert not Organisation.objects.filter(slug="newco").exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["founder@newco.test"]
    assert mail.outbox[0].extra_headers["Message-ID"].startswith("<signup.")
    link = the_link()
    # No usable secret at rest: the token appears in no column of the request.
    row = SignupRequest.objects.values().get(pk=link["id"])
    assert link["token"] not in str(row)

    assert platform.get(link.group(0).removeprefix("http://localhost")).status_code == 200
    assert not Organisation.objects.filter(slug="newco").exists()  # GET creates nothing
    response = platform.post(link.group(0).removeprefix("http://localhost"))
    assert response.status_code == 302
    assert re.fullmatch(r"http://newco\.localhost/welcome/[\w-]+", response["Location"])
    org = Organisation.objects.get(slug="newco")
    assert schema_exists(org.schema_name)
    with with_org(org):
        admin = User.objects.get()
        assert (admin.email, admin.role) == ("founder@newco.test", User.Role.ADMIN)
        assert not admin.has_usable_password()
        link_row = RecoveryLink.objects.get(user=admin)
        assert (link_row.expires_at - link_row.created_at).total_seconds() <= 600

    # The same link again: refused, and no second org.
    again = platform.post(link.group(0).removeprefix("http://localhost"))
    assert again.status_code == 400 and b"already used" in again.content
    assert Organisation.objects.filter(slug__startswith="newco").count() == 1
    outcomes = list(
        PlatformAuditEvent.objects.filter(action="signup.confirm").values_list("outcome", flat=True)
    )
    assert sorted(outcomes) == ["challenge_invalid", "success"]


@pytest.mark.usefixtures("open_signup")
def test_the_hand_over_link_signs_the_admin_in_once_on_the_new_host(
    orgs: object, platform: Client, django_capture_on_commit_callbacks: Any
) -> None:
    ask(platform, django_capture_on_commit_callbacks, slug="handco")
    welcome = platform.post(the_link().group(0).removeprefix("http://localhost"))["Location"]
    org_host = Client(HTTP_HOST="handco.localhost")
    path = welcome.removeprefix("http://handco.localhost")
    assert org_host.get(path).status_code == 200
    response = org_host.post(path)
    assert response.status_code == 302 and response["Location"] == "/account/security?enrol=1"
    page = org_host.get("/account/security?enrol=1")
    assert b'data-next="/orgs/handco/portal/configuration/auth-settings"' in page.content
    assert b"First steps" in org_host.get("/orgs/handco/portal/configuration/auth-settings").content
    # Single use, and worthless on another org's host.
    assert Client(HTTP_HOST="handco.localhost").post(path).status_code == 400
    assert Client(HTTP_HOST="acme.localhost").post(path).status_code == 400


@pytest.mark.usefixtures("open_signup")
@pytest.mark.parametrize(
    ("slug", "reason"),
    [("acme", "already exists"), ("www", "reserved"), ("api", "reserved"), ("Bad_Slug", "Invalid")],
)
def test_a_taken_reserved_or_malformed_slug_is_refused_and_nothing_is_sent(
    orgs: object, platform: Client, django_capture_on_commit_callbacks: Any, slug: str, reason: str
) -> None:
    response = ask(platform, django_capture_on_commit_callbacks, slug=slug)
    assert response.status_code == 400 and reason in response.content.decode()
    assert not SignupRequest.objects.exists() and mail.outbox == []


def test_the_live_slug_check_suggests_free_slugs(orgs: object, platform: Client) -> None:
    taken = platform.get("/signup/slug", {"slug": "acme"}).json()
    assert taken["available"] is False and "already exists" in taken["reason"]
    assert taken["suggestions"] and "acme" not in taken["suggestions"]
    assert all(s.startswith("acme-") for s in taken["suggestions"])
    assert platform.get("/signup/slug", {"slug": "fresh-name"}).json()["available"] is True
    assert platform.get("/signup/slug", {"slug": "\x00" * 500}).status_code == 200


@pytest.mark.usefixtures("open_signup")
def test_an_unconfirmed_or_forged_or_expired_link_creates_nothing(
    orgs: object, platform: Client, django_capture_on_commit_callbacks: Any
) -> None:
    ask(platform, django_capture_on_commit_callbacks, slug="lateco")
    link = the_link()
    forged = f"/signup/confirm/{link['id']}/{'0' * 64}"
    assert platform.post(forged).status_code == 400
    SignupRequest.objects.filter(pk=link["id"]).update(expires_at="2000-01-01T00:00Z")
    response = platform.post(link.group(0).removeprefix("http://localhost"))
    assert response.status_code == 400 and b"expired" in response.content
    assert not Organisation.objects.filter(slug="lateco").exists()


@pytest.mark.usefixtures("open_signup")
def test_asking_twice_answers_the_same_and_tells_nothing(
    orgs: object, platform: Client, django_capture_on_commit_callbacks: Any
) -> None:
    first = ask(platform, django_capture_on_commit_callbacks, slug="twice", email="a@twice.test")
    second = ask(platform, django_capture_on_commit_callbacks, slug="twice", email="a@twice.test")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content  # the same page, whatever exists already
    assert len(mail.outbox) == 2


def test_sign_up_closed_refuses_and_audits(
    settings: Any, orgs: object, platform: Client, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SIGNUP_MODE = "closed"
    assert b"Sign-up is closed" in platform.get("/signup").content
    response = ask(platform, django_capture_on_commit_callbacks, slug="shut")
    assert response.status_code == 403
    assert not SignupRequest.objects.exists() and mail.outbox == []


def test_sign_up_by_invitation_needs_a_valid_code_and_spends_it(
    settings: Any, orgs: object, platform: Client, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SIGNUP_MODE = "invite"
    code = invitation_create(note="Beta customer", uses=1)
    bad = ask(platform, django_capture_on_commit_callbacks, slug="invco", invitation="nope")
    assert bad.status_code == 403 and not SignupRequest.objects.exists()
    ok = ask(platform, django_capture_on_commit_callbacks, slug="invco", invitation=code)
    assert ok.status_code == 200
    assert platform.post(the_link().group(0).removeprefix("http://localhost")).status_code == 302
    # The one use is spent: the same code cannot create a second organisation.
    ask(platform, django_capture_on_commit_callbacks, slug="invco-two", invitation=code)
    assert SignupRequest.objects.filter(slug="invco-two").count() == 0
    events = PlatformAuditEvent.objects.filter(action="signup.request")
    assert sorted(events.values_list("outcome", flat=True)) == ["forbidden", "forbidden", "success"]


@pytest.mark.usefixtures("open_signup")
def test_sign_ups_are_throttled_per_client(
    orgs: object, platform: Client, django_capture_on_commit_callbacks: Any
) -> None:
    limit = PER_CLIENT[0]
    for n in range(limit):
        ask(platform, django_capture_on_commit_callbacks, slug=f"th{n}", email=f"x{n}@d{n}.test")
    refused = ask(platform, django_capture_on_commit_callbacks, slug="thlast", email="y@z.test")
    assert refused.status_code == 429
    assert SignupRequest.objects.count() == limit
    assert PlatformAuditEvent.objects.filter(outcome="rate_limited").count() == 1


@pytest.mark.usefixtures("open_signup")
def test_sign_ups_are_throttled_per_email_domain(
    orgs: object, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("auth_methods.org_signup.PER_EMAIL_DOMAIN", (2, 3600))
    statuses = []
    for n in range(3):
        client = Client(HTTP_HOST="localhost", REMOTE_ADDR=f"10.0.0.{n + 1}")
        statuses.append(
            ask(
                client, django_capture_on_commit_callbacks, slug=f"dom{n}", email=f"u{n}@same.test"
            ).status_code
        )
    assert statuses == [200, 200, 429]


def test_a_disabled_org_answers_disabled_on_its_hosts_and_comes_back(
    acme: Organisation, acme_client: Client
) -> None:
    org_set_active(acme, False, actor="staff@passgate.test")
    try:
        problem = acme_client.post(
            "/webauthn/authenticate/options", {}, content_type="application/json"
        )
        assert problem.status_code == 403
        assert problem["Content-Type"] == "application/problem+json"
        assert problem.json()["code"] == "forbidden" and "disabled" in problem.json()["detail"]
        page = acme_client.get("/login", HTTP_ACCEPT="text/html")
        assert page.status_code == 403 and b"Organisation disabled" in page.content
        assert PlatformAuditEvent.objects.filter(action="org.disable", subject="acme").exists()
    finally:
        org_set_active(acme, True, actor="staff@passgate.test")
    assert acme_client.get("/login").status_code == 200


@pytest.mark.usefixtures("open_signup")
@pytest.mark.parametrize("trial", range(3))
def test_two_confirmations_at_once_make_one_org(orgs: object, trial: int) -> None:
    """The claim is one conditional UPDATE: of two racing confirmations exactly one creates.
    Each racer runs on its own connection, committed, outside the test's transaction."""
    slug = f"raceco{trial}"

    def committed(work: Any) -> Any:
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = work()
            finally:
                connections.close_all()

        thread = threading.Thread(target=target)
        thread.start()
        thread.join(timeout=60)
        return box.get("value")

    def make() -> str:
        signup_request(org_name="Race Co", slug=slug, email=f"r{trial}@race.test", ip=None)
        return signup_link(SignupRequest.objects.get(slug=slug)).removeprefix("http://localhost")

    path = committed(make)
    barrier = threading.Barrier(2)

    def confirm() -> int:
        barrier.wait(timeout=10)
        return int(Client(HTTP_HOST="localhost").post(path).status_code)

    def cleanup() -> None:
        org = Organisation.objects.filter(slug=slug).first()
        if org is not None:
            org_delete(org)
        SignupRequest.objects.filter(slug=slug).delete()
        PlatformAuditEvent.objects.filter(subject__startswith=slug).delete()

    try:
        with ThreadPoolExecutor(2) as pool:
            statuses = sorted(pool.map(lambda _: committed(confirm), range(2)))
        assert statuses == [302, 400]
        assert committed(lambda: Organisation.objects.filter(slug=slug).count()) == 1
    finally:
        committed(cleanup)
