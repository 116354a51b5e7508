"""Every rule lives once: a grep over the code, as a test, so a copy cannot creep back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    path
    for folder in ("auth_methods", "api", "portal", "tenants")
    for path in (ROOT / folder).rglob("*.py")
    if "migrations" not in path.parts
)

# The policy fields that are rules enforced at a ceremony or at the password door.
RULE_FIELDS = (
    "passkey_registration_enabled",
    "passkey_login_enabled",
    "user_verification",
    "algorithms",
    "require_trusted_attestation",
    "allowed_aaguids",
    "max_passkeys_per_user",
    "allow_synced_passkeys",
    "mfa_required",
    "passwordless_only",
)
# Reads that decide no rule: options builders (what the browser is asked for), the settings
# validation (which combinations may be saved) and a page that hides a button.
NOT_RULES = {
    ("auth_methods/policy.py", "user_verification"),
    ("auth_methods/policy.py", "algorithms"),
    ("auth_methods/policy_validation.py", "require_trusted_attestation"),
    ("auth_methods/policy_validation.py", "allowed_aaguids"),
    ("portal/views/signin.py", "passkey_login_enabled"),
}


def _reads(field: str) -> set[str]:
    pattern = re.compile(rf"\bpolicy\.{field}\b")
    return {
        str(path.relative_to(ROOT))
        for path in SOURCES
        if pattern.search(path.read_text(encoding="utf-8"))
    }


@pytest.mark.parametrize("field", RULE_FIELDS)
def test_each_rule_field_is_judged_only_in_policy_checks(field: str) -> None:
    readers = {path for path in _reads(field) if (path, field) not in NOT_RULES}
    assert readers <= {"auth_methods/policy_checks.py"}, readers


def test_the_ceremony_decides_no_policy_rule() -> None:
    text = (ROOT / "auth_methods/passkeys/ceremony.py").read_text(encoding="utf-8")
    for code in ("user_presence_required", "user_verification_required", "algorithm_not_allowed"):
        assert code not in text
    assert "require_user_verification=False" in text  # py_webauthn is not asked either


def test_no_code_branches_on_a_factor_kind_string() -> None:
    branch = re.compile(r"""["'](passkey|totp|recovery_code)["']\s+(not\s+)?in\b|kind\s*[!=]=""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in SOURCES
        if path.name != "factors.py" and branch.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
