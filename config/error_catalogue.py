"""The contract's error catalogue: one stable code per failure, with its HTTP status and title.

It is data, not a rule, and sits in ``config/`` so that every layer that answers with an error
(``auth_methods/``'s ``AuthError``, ``tenants/``' routing and probes, ``config/``'s handlers and
metrics) names a row of it rather than writing a title by hand. ``auth_methods/errors.py``
re-exports the rows for the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auth_methods.errors import AuthError


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    status: int
    title: str

    def with_detail(self, detail: str, *, field: str | None = None) -> AuthError:
        # Imported here: the services' exception lives with the services, the table below it.
        from auth_methods.errors import AuthError

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
# Not in the error table: a dependency (the database, the cache, the broker) did not answer.
SERVICE_UNAVAILABLE = _row("service_unavailable", 503, "Service unavailable")
