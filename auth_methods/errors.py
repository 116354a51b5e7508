"""The contract's error catalogue: one stable code per failure, translated in one place
(``api/problems.py`` for JSON, portal views for form errors)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    title: str


ERROR_CODES: dict[str, ErrorSpec] = {
    "invalid_request": ErrorSpec(400, "Invalid request"),
    "payload_too_large": ErrorSpec(413, "Payload too large"),
    "unauthenticated": ErrorSpec(401, "Unauthenticated"),
    "forbidden": ErrorSpec(403, "Forbidden"),
    "not_found": ErrorSpec(404, "Not found"),
    "passkey_registration_disabled": ErrorSpec(403, "Passkey registration disabled"),
    "passkey_login_disabled": ErrorSpec(403, "Passkey sign-in disabled"),
    "challenge_invalid": ErrorSpec(400, "Challenge invalid"),
    "challenge_expired": ErrorSpec(400, "Challenge expired"),
    "origin_mismatch": ErrorSpec(400, "Origin mismatch"),
    "rp_id_mismatch": ErrorSpec(400, "RP ID mismatch"),
    "ceremony_type_mismatch": ErrorSpec(400, "Ceremony type mismatch"),
    "user_presence_required": ErrorSpec(400, "User presence required"),
    "user_verification_required": ErrorSpec(400, "User verification required"),
    "algorithm_not_allowed": ErrorSpec(400, "Algorithm not allowed"),
    "attestation_required": ErrorSpec(400, "Attestation required"),
    "attestation_untrusted": ErrorSpec(400, "Attestation untrusted"),
    "authenticator_not_allowed": ErrorSpec(403, "Authenticator not allowed"),
    "credential_already_registered": ErrorSpec(409, "Credential already registered"),
    "passkey_limit_reached": ErrorSpec(409, "Passkey limit reached"),
    "credential_unknown": ErrorSpec(400, "Credential unknown"),
    "user_handle_mismatch": ErrorSpec(400, "User handle mismatch"),
    "user_inactive": ErrorSpec(403, "User inactive"),
    "signature_invalid": ErrorSpec(400, "Signature invalid"),
    "sign_count_regressed": ErrorSpec(400, "Sign count regressed"),
    "credential_flagged": ErrorSpec(403, "Credential flagged"),
    "rate_limited": ErrorSpec(429, "Rate limited"),
    "last_factor": ErrorSpec(409, "Last factor"),
}


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
