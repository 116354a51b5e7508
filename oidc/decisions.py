"""What the authorization endpoint does for a valid request, given who is signed in and how.

Pure: no request, no ORM. Sign-in itself is never done here: the decision sends the browser
to the org's own ``/login`` (or its passkey step) with a way back, and the grant is given
only once the session's sign-in satisfies ``prompt``, ``max_age`` and ``acr_values``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from auth_methods.sign_in_facts import SignInFacts
from oidc.claims import ACR_PHISHING_RESISTANT


class Action(Enum):
    GRANT = "grant"
    LOGIN = "login"  # the org's /login page, then back here
    PASSKEY = "passkey"  # a passkey ceremony with user verification, then back here
    CONSENT = "consent"
    ERROR = "error"


@dataclass(frozen=True)
class AuthParams:
    prompts: frozenset[str]
    max_age: int | None
    wants_phishing_resistant: bool
    # When this request first sent the browser to sign in, in ms (our own marker in the URL):
    # a sign-in at or after it is the fresh one that prompt=login / max_age asked for.
    sign_in_started: int | None


@dataclass(frozen=True)
class Decision:
    action: Action
    error: str = ""
    description: str = ""


def parse_params(data: dict[str, str], *, started: str | None) -> AuthParams | str:
    """The request parameters that shape the sign-in; a string is an invalid_request reason."""
    max_age: int | None = None
    raw_max_age = data.get("max_age")
    if raw_max_age not in (None, ""):
        if not str(raw_max_age).isdigit() or len(str(raw_max_age)) > 9:
            return "max_age must be a non-negative integer."
        max_age = int(str(raw_max_age))
    return AuthParams(
        prompts=frozenset((data.get("prompt") or "").split()),
        max_age=max_age,
        wants_phishing_resistant=ACR_PHISHING_RESISTANT in (data.get("acr_values") or "").split(),
        sign_in_started=int(started)
        if started and started.isdigit() and len(started) < 15
        else None,
    )


def decide(
    params: AuthParams,
    *,
    signed_in: bool,
    facts: SignInFacts | None,
    now: int,
    consent_needed: bool,
    passkeys_allowed: bool,
) -> Decision:
    silent = "none" in params.prompts
    if not signed_in or facts is None:
        return _interact(silent, Action.LOGIN)
    fresh = params.sign_in_started is not None and params.sign_in_started <= facts.at_ms
    stale = params.max_age is not None and now - facts.at > params.max_age
    if ("login" in params.prompts or stale) and not fresh:
        return _interact(silent, Action.LOGIN)
    if params.wants_phishing_resistant and not facts.phishing_resistant:
        if not passkeys_allowed or fresh:
            return Decision(
                Action.ERROR,
                "unmet_authentication_requirements",
                "A phishing-resistant sign-in (a passkey with user verification) is required.",
            )
        return _interact(silent, Action.PASSKEY)
    if consent_needed:
        if silent:
            return Decision(Action.ERROR, "consent_required", "The user has not consented yet.")
        return Decision(Action.CONSENT)
    return Decision(Action.GRANT)


def _interact(silent: bool, action: Action) -> Decision:
    if silent:
        return Decision(Action.ERROR, "login_required", "The user must sign in.")
    return Decision(action)
