"""Browser sessions whose rows are keyed by a digest of the cookie (auth_methods/session_store)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from auth_methods.session_store import SessionStore, stored_key
from tenants.models import Organisation
from tests.portal.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_a_signed_in_browsers_row_holds_the_digest_of_its_cookie_only(acme: Organisation) -> None:
    ann = make_user(acme, "ann@acme.test")
    browser = Client(HTTP_HOST="acme.localhost")
    assert browser.post("/login", {"email": ann.email, "password": PASSWORD}).status_code == 302
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert not Session.objects.filter(session_key=key).exists()
    assert Session.objects.filter(session_key=stored_key(key)).exists()
    assert browser.get("/account/security").status_code == 200  # found by its cookie


def test_save_load_exists_cycle_and_delete_go_through_the_digest(in_acme: Organisation) -> None:
    session = SessionStore()
    session["n"] = 1
    session.save()
    key = session.session_key
    assert key is not None and SessionStore().exists(key) and not SessionStore().exists("x" * 32)
    assert SessionStore(session_key=key)["n"] == 1
    assert SessionStore(session_key=stored_key(key)).load() == {}  # the row's key opens nothing
    session.cycle_key()  # as on sign-in: a new key, the old row gone
    assert session.session_key != key and not Session.objects.filter(pk=stored_key(key)).exists()
    assert SessionStore(session_key=session.session_key)["n"] == 1
    session.delete()
    assert Session.objects.count() == 0


def test_an_expired_session_is_not_loaded_and_clearsessions_removes_it(
    in_acme: Organisation,
) -> None:
    session = SessionStore()
    session["n"] = 1
    session.save()
    key = session.session_key
    assert key is not None
    Session.objects.filter(pk=stored_key(key)).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert SessionStore(session_key=key).load() == {}
    SessionStore.clear_expired()
    assert not Session.objects.exists()


def test_the_async_api_goes_through_the_digest_too(in_acme: Organisation) -> None:
    async def round_trip() -> tuple[str, bool, dict[str, int], bool]:
        session = SessionStore()
        session["n"] = 2
        await session.asave()
        key = session.session_key
        assert key is not None
        assert await Session.objects.filter(pk=stored_key(key)).aexists()
        assert not await Session.objects.filter(pk=key).aexists()
        loaded = await SessionStore(session_key=key).aload()
        existed = await SessionStore().aexists(key)
        await session.adelete()
        return key, existed, loaded, await SessionStore().aexists(key)

    # async_to_sync runs the store's database calls on this thread, in the test's transaction.
    key, existed, loaded, after = async_to_sync(round_trip)()
    assert (existed, loaded, after) == (True, {"n": 2}, False)
