"""The address rule and the hourly budgets that both sign-ups (org and user) share."""

from __future__ import annotations

import pytest

from auth_methods.addresses import email_address
from auth_methods.budgets import budgets_spend
from auth_methods.errors import AuthError
from auth_methods.ratelimit import counter_incr


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        (" Ann@Example.COM ", "ann@example.com"),
        ("a.b+tag@sub.example.org", "a.b+tag@sub.example.org"),
        ("", None),
        ("ann", None),
        ("@example.com", None),
        ("ann@localhost", None),
        ("ann smith@example.com", None),
        ("ann\x00@example.com", None),
        ("a" * 243 + "@example.com", None),  # 255 characters
        ("a" * 242 + "@example.com", "a" * 242 + "@example.com"),  # 254
    ],
)
def test_it_keeps_only_addresses_mail_can_reach(typed: str, kept: str | None) -> None:
    assert email_address(typed) == kept


def test_a_refused_request_still_counts_against_every_budget() -> None:
    budgets = [("test:first", (1, 3600)), ("test:second", (5, 3600))]
    budgets_spend(budgets, "no")
    with pytest.raises(AuthError) as refused:
        budgets_spend(budgets, "Too many.")
    assert (refused.value.code, refused.value.detail) == ("rate_limited", "Too many.")
    # Two counted on the second budget: the refusal by the first did not spare it.
    assert counter_incr("test:second", 3600) == 3
