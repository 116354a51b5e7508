"""Email addresses typed by people who sign up: one rule for what looks deliverable."""

from __future__ import annotations

MAX_ADDRESS = 254


def email_address(raw: str) -> str | None:
    """``raw`` trimmed and lower-cased when it looks like an address mail can reach (a local
    part, a dotted domain, no spaces, at most 254 characters); otherwise None. Whether it
    really exists is only learnt by mailing it."""
    email = raw.strip().lower()
    local, _, domain = email.rpartition("@")
    if not local or "." not in domain or len(email) > MAX_ADDRESS:
        return None
    if any(c.isspace() or ord(c) < 32 for c in email):
        return None
    return email
