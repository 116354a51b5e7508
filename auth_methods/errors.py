"""The contract's error catalogue: one stable code per failure, translated in one place
(``api/problems.py`` for JSON, portal views for form errors).

Each row of the contract's error table is a module constant (``CHALLENGE_EXPIRED``, ...).
Raise with a detail for people::

    raise errors.CHALLENGE_EXPIRED.with_detail("The challenge was issued 75 s ago; ...")
    raise AuthError.of("challenge_expired", "...")  # the same error, for a code held as a string

Both build the same ``AuthError``. The constant is the one to prefer in new code (a misspelt
name fails at import and under mypy); ``AuthError.of`` suits codes that arrive as data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    status: int
    title: str

    def with_detail(self, detail: str, *, field: str | None = None) -> AuthError:
        return AuthError(self.code, detail, field=field)


ERROR_CODES: dict[str, ErrorSpec] = {}


def _row(code: str, status: int, title: str) -> ErrorSpec:
    spec = ERROR_CODES[code] = ErrorSpec(code, status, title)
    return spec


INVALID_REQUEST = _row("invalid_request", 400, "Invalid request")
PAYLOAD_TOO_LARGE = _row("payload_too_large", 413, "Payload too large")
UNAUTHENTICATED = _row("unauthenticated", 401, "Unauthenticated")
FORBIDDEN = _row("forbidden", 403, "Forbidden")
NOT_FOUND = _row("not_found", 404, "Not found")
PASSKEY_REGISTRATION_DISABLED = _row(
    "passkey_registration_disabled", 403, "Passkey registration disabled"
)
PASSKEY_LOGIN_DISABLED = _row("passkey_login_disabled", 403, "Passkey sign-in disabled")
CHALLENGE_INVALID = _row("challenge_invalid", 400, "Challenge invalid")
CHALLENGE_EXPIRED = _row("challenge_expired", 400, "Challenge expired")
ORIGIN_MISMATCH = _row("origin_mismatch", 400, "Origin mismatch")
RP_ID_MISMATCH = _row("rp_id_mismatch", 400, "RP ID mismatch")
CEREMONY_TYPE_MISMATCH = _row("ceremony_type_mismatch", 400, "Ceremony type mismatch")
USER_PRESENCE_REQUIRED = _row("user_presence_required", 400, "User presence required")
USER_VERIFICATION_REQUIRED = _row("user_verification_required", 400, "User verification required")
ALGORITHM_NOT_ALLOWED = _row("algorithm_not_allowed", 400, "Algorithm not allowed")
ATTESTATION_REQUIRED = _row("attestation_required", 400, "Attestation required")
ATTESTATION_UNTRUSTED = _row("attestation_untrusted", 400, "Attestation untrusted")
AUTHENTICATOR_NOT_ALLOWED = _row("authenticator_not_allowed", 403, "Authenticator not allowed")
CREDENTIAL_ALREADY_REGISTERED = _row(
    "credential_already_registered", 409, "Credential already registered"
)
PASSKEY_LIMIT_REACHED = _row("passkey_limit_reached", 409, "Passkey limit reached")
CREDENTIAL_UNKNOWN = _row("credential_unknown", 400, "Credential unknown")
USER_HANDLE_MISMATCH = _row("user_handle_mismatch", 400, "User handle mismatch")
USER_INACTIVE = _row("user_inactive", 403, "User inactive")
SIGNATURE_INVALID = _row("signature_invalid", 400, "Signature invalid")
SIGN_COUNT_REGRESSED = _row("sign_count_regressed", 400, "Sign count regressed")
CREDENTIAL_FLAGGED = _row("credential_flagged", 403, "Credential flagged")
RATE_LIMITED = _row("rate_limited", 429, "Rate limited")
REAUTHENTICATION_REQUIRED = _row("reauthentication_required", 403, "Reauthentication required")
# Not in the error table: the credentials section's DELETE refusal.
LAST_FACTOR = _row("last_factor", 409, "Last factor")
# Not in the error table either: HTTP's own answers, which no operation gives by design.
METHOD_NOT_ALLOWED = _row("method_not_allowed", 405, "Method not allowed")
SERVER_ERROR = _row("server_error", 500, "Server error")


class AuthError(Exception):
    """A failure with a contract code. ``field`` ties a validation error to an input field."""

    def __init__(self, code: str, detail: str, *, field: str | None = None) -> None:
        spec = ERROR_CODES[code]  # an unknown code is a programming error: fail loudly
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.status = spec.status
        self.title = spec.title
        self.detail = detail
        self.field = field

    @classmethod
    def of(cls, code: str, detail: str, *, field: str | None = None) -> AuthError:
        return cls(code, detail, field=field)
