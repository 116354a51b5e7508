"""The authorization endpoint's decision, as a table: no database, no request."""

from __future__ import annotations

import pytest

from auth_methods.sign_in_facts import SignInFacts
from oidc.decisions import Action, AuthParams, decide, parse_params

NOW = 1_000_000
PASSWORD = SignInFacts(amr=("pwd",), phishing_resistant=False, at=NOW - 30, at_ms=(NOW - 30) * 1000)
PASSKEY = SignInFacts(
    amr=("hwk", "user", "mfa"), phishing_resistant=True, at=NOW - 30, at_ms=(NOW - 30) * 1000
)


def params(**data: str) -> AuthParams:
    started = data.pop("started", None)
    parsed = parse_params(data, started=started)
    assert isinstance(parsed, AuthParams)
    return parsed


@pytest.mark.parametrize(
    ("request_params", "facts", "consent", "passkeys", "expected"),
    [
        ({}, None, False, True, (Action.LOGIN, "")),
        ({"prompt": "none"}, None, False, True, (Action.ERROR, "login_required")),
        ({}, PASSWORD, False, True, (Action.GRANT, "")),
        ({"prompt": "login"}, PASSWORD, False, True, (Action.LOGIN, "")),
        (
            {"prompt": "login", "started": str((NOW - 40) * 1000)},
            PASSWORD,
            False,
            True,
            (Action.GRANT, ""),
        ),
        ({"max_age": "10"}, PASSWORD, False, True, (Action.LOGIN, "")),
        (
            {"max_age": "10", "prompt": "none"},
            PASSWORD,
            False,
            True,
            (Action.ERROR, "login_required"),
        ),
        ({"max_age": "60"}, PASSWORD, False, True, (Action.GRANT, "")),
        ({"acr_values": "phr"}, PASSWORD, False, True, (Action.PASSKEY, "")),
        (
            {"acr_values": "phr"},
            PASSWORD,
            False,
            False,
            (Action.ERROR, "unmet_authentication_requirements"),
        ),
        (
            {"acr_values": "phr", "started": str((NOW - 40) * 1000)},
            PASSWORD,
            False,
            True,
            (Action.ERROR, "unmet_authentication_requirements"),
        ),
        ({"acr_values": "phr"}, PASSKEY, False, True, (Action.GRANT, "")),
        ({"acr_values": "basic phr"}, PASSKEY, False, True, (Action.GRANT, "")),
        ({}, PASSKEY, True, True, (Action.CONSENT, "")),
        ({"prompt": "none"}, PASSKEY, True, True, (Action.ERROR, "consent_required")),
    ],
)
def test_decide(
    request_params: dict[str, str],
    facts: SignInFacts | None,
    consent: bool,
    passkeys: bool,
    expected: tuple[Action, str],
) -> None:
    decision = decide(
        params(**request_params),
        signed_in=facts is not None,
        facts=facts,
        now=NOW,
        consent_needed=consent,
        passkeys_allowed=passkeys,
    )
    assert (decision.action, decision.error) == expected


@pytest.mark.parametrize("max_age", ["-1", "soon", "1" * 12])
def test_a_malformed_max_age_is_an_invalid_request(max_age: str) -> None:
    assert isinstance(parse_params({"max_age": max_age}, started=None), str)


def test_a_forged_marker_is_ignored() -> None:
    assert params(started="yesterday").sign_in_started is None
