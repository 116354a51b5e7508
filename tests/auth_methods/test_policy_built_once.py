"""A ceremony's policy is built once per organisation and reused while its sources (the stored
values, the org's name and origins) stay the same; any change to them is seen at once."""

from __future__ import annotations

from copy import copy

import pytest
from django.test import override_settings

from auth_methods.audit import CLI
from auth_methods.settings_service import auth_settings_update, policy_for
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


def test_the_same_sources_give_the_same_policy_object(in_acme: Organisation) -> None:
    assert policy_for(in_acme) is policy_for(in_acme)


def test_a_policy_change_is_seen_at_once(in_acme: Organisation) -> None:
    before = policy_for(in_acme)
    auth_settings_update(org=in_acme, actor=CLI, changes={"timeout_seconds": 90})
    assert before.timeout_seconds != 90
    assert policy_for(in_acme).timeout_seconds == 90


def test_an_org_rename_is_seen_at_once(in_acme: Organisation) -> None:
    policy_for(in_acme)
    renamed = copy(in_acme)  # the org fixture is shared by the whole session
    renamed.name = "Acme Renamed"
    assert policy_for(renamed).org_name == "Acme Renamed"


def test_origins_follow_the_deployment_port(in_acme: Organisation) -> None:
    before = policy_for(in_acme).org_origins
    with override_settings(PUBLIC_PORT=8443):
        moved = policy_for(in_acme).org_origins
    assert moved != before and all(origin.endswith(":8443") for origin in moved)


def test_each_org_has_its_own(acme: Organisation, globex: Organisation) -> None:
    with with_org(acme):
        auth_settings_update(org=acme, actor=CLI, changes={"timeout_seconds": 90})
        acme_policy = policy_for(acme)
    with with_org(globex):
        globex_policy = policy_for(globex)
    assert (acme_policy.org_name, acme_policy.timeout_seconds) == ("Acme Corp", 90)
    assert globex_policy.org_name != "Acme Corp" and globex_policy.timeout_seconds != 90
