"""The counter rule, as the pure function and as the UPDATE's condition: they must agree."""

from __future__ import annotations

import os

import pytest

from auth_methods.models import Passkey, User
from auth_methods.policy_checks import sign_count_accepted, sign_count_regressed
from tenants.models import Organisation

COUNTS = (0, 1, 2, 5, 6, 2**32 - 1)


@pytest.mark.django_db
def test_the_conditional_update_accepts_exactly_what_the_rule_accepts(
    in_acme: Organisation,
) -> None:
    user = User.objects.create_user("counter@acme.test")
    rows = {
        stored: Passkey.objects.create(
            user=user,
            credential_id=os.urandom(16),
            public_key=b"k",
            algorithm=-7,
            sign_count=stored,
        ).pk
        for stored in COUNTS
    }
    for new in COUNTS:
        matched = set(
            Passkey.objects.filter(pk__in=rows.values())
            .filter(sign_count_accepted(new))
            .values_list("sign_count", flat=True)
        )
        assert matched == {s for s in COUNTS if not sign_count_regressed(s, new)}, new
