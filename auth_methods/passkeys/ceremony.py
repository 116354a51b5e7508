"""The only module that imports py_webauthn: builds options, verifies responses.

It verifies WebAuthn's protocol steps (challenge, type, origin, RP ID hash, signature,
attestation statement) and returns facts as plain data; it decides no policy rule. UP, UV,
algorithms and every other rule are judged from those facts in ``policy_checks``, so py_webauthn
is asked to require neither UV nor an algorithm subset. A ceremony runs in two steps: the
``*_claims`` functions check the unsigned protocol steps and return what the authenticator
claims (so the policy can refuse early, with a precise code), then ``verify_*`` checks the
signature or attestation and returns the verified facts. Every library failure, including bare
``KeyError``/``ValueError`` from malformed input, becomes a contract error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cbor2 import CBORDecodeError
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    decode_credential_public_key,
    options_to_json_dict,
    parse_attestation_object,
    parse_authentication_credential_json,
    parse_authenticator_data,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AttestationFormat,
    AttestationObject,
    AttestedCredentialData,
    AuthenticationCredential,
    AuthenticatorAttachment,
    AuthenticatorData,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    ClientDataType,
    CollectedClientData,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialHint,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from auth_methods.encoding import b64url_decode
from auth_methods.errors import AuthError
from auth_methods.policy_checks import AuthenticatorClaims

# What malformed input makes py_webauthn and its parsers raise, besides its own exceptions.
_PARSE_ERRORS = (WebAuthnException, CBORDecodeError, KeyError, ValueError, TypeError, IndexError)
_KNOWN_TRANSPORTS = {t.value for t in AuthenticatorTransport}
# Formats whose statements chain to vendor roots that py_webauthn already ships.
_BUILTIN_ROOT_FORMATS = {
    AttestationFormat.APPLE,
    AttestationFormat.ANDROID_SAFETYNET,
    AttestationFormat.ANDROID_KEY,
}
_AAGUID_OID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")  # id-fido-gen-ce-aaguid
# Every algorithm py_webauthn can verify: which of them an organisation allows is policy.
_ALL_ALGORITHMS = list(COSEAlgorithmIdentifier)
# Formats whose x5c chains may be checked against the organisation's configured roots.
_CHAIN_FORMATS = (AttestationFormat.PACKED, AttestationFormat.TPM, AttestationFormat.FIDO_U2F)


@dataclass(frozen=True)
class ParsedResponse:
    """What the services need before verification: the challenge names the pending ceremony."""

    challenge: bytes
    credential_id: bytes
    user_handle: bytes | None


@dataclass(frozen=True)
class RegistrationResult:
    credential_id: bytes
    public_key: bytes
    algorithm: int
    sign_count: int
    aaguid: str
    fmt: str
    attestation: str  # "none" | "self" | "trusted" | "untrusted"
    user_present: bool
    user_verified: bool
    backup_eligible: bool
    backed_up: bool
    attachment: str | None
    transports: tuple[str, ...]


@dataclass(frozen=True)
class AssertionResult:
    credential_id: bytes
    sign_count: int
    user_present: bool
    user_verified: bool
    backup_eligible: bool
    backed_up: bool


def _invalid(detail: str) -> AuthError:
    return AuthError.of("invalid_request", detail)


_BINARY_FIELDS = (
    "clientDataJSON",
    "attestationObject",
    "authenticatorData",
    "signature",
    "userHandle",
)


def _as_mapping(credential: object) -> Mapping[str, Any]:
    """The credential object, its binary fields strict base64url: py_webauthn's decoder
    silently skips characters outside the alphabet, which would accept mangled input."""
    if not isinstance(credential, Mapping):
        raise _invalid("credential must be a JSON object.")
    response = credential.get("response")
    fields = [("id", credential.get("id")), ("rawId", credential.get("rawId"))]
    if isinstance(response, Mapping):
        fields += [
            (f"response.{k}", response.get(k))
            for k in _BINARY_FIELDS
            if response.get(k) is not None
        ]
    for name, value in fields:
        if not isinstance(value, str):
            raise _invalid(f"credential.{name} must be a base64url string.")
        try:
            b64url_decode(value)
        except ValueError:
            raise _invalid(f"credential.{name} is not valid base64url.") from None
    return credential


def parse_registration(credential: object) -> tuple[RegistrationCredential, ParsedResponse]:
    try:
        parsed = parse_registration_credential_json(json.dumps(_as_mapping(credential)))
        client = parse_client_data_json(bytes(parsed.response.client_data_json))
    except _PARSE_ERRORS as exc:
        raise _invalid(f"credential is not a valid RegistrationResponseJSON ({exc}).") from None
    return parsed, ParsedResponse(client.challenge, bytes(parsed.raw_id), None)


def parse_authentication(credential: object) -> tuple[AuthenticationCredential, ParsedResponse]:
    try:
        parsed = parse_authentication_credential_json(json.dumps(_as_mapping(credential)))
        client = parse_client_data_json(bytes(parsed.response.client_data_json))
    except _PARSE_ERRORS as exc:
        raise _invalid(f"credential is not a valid AuthenticationResponseJSON ({exc}).") from None
    handle = parsed.response.user_handle
    return parsed, ParsedResponse(client.challenge, bytes(parsed.raw_id), handle and bytes(handle))


def _check_client_data(
    client_data_json: bytes, *, expected_type: ClientDataType, origins: Sequence[str]
) -> CollectedClientData:
    try:
        client = parse_client_data_json(client_data_json)
    except _PARSE_ERRORS:
        raise _invalid("clientDataJSON is malformed.") from None
    if client.type != expected_type:
        raise AuthError.of(
            "ceremony_type_mismatch",
            f"clientDataJSON.type is {str(client.type)!r}; this endpoint expects "
            f"{expected_type.value!r}.",
        )
    if client.origin not in origins:
        raise AuthError.of(
            "origin_mismatch", f"The origin {client.origin!r} is not allowed for this organisation."
        )
    return client


def _check_rp_id_hash(auth_data: AuthenticatorData, *, rp_id: str) -> None:
    if auth_data.rp_id_hash != hashlib.sha256(rp_id.encode()).digest():
        raise AuthError.of("rp_id_mismatch", f"The rpIdHash is not that of {rp_id!r}.")


def _descriptors(
    creds: Sequence[tuple[bytes, Sequence[str]]],
) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=cid, transports=[AuthenticatorTransport(t) for t in ts if t in _KNOWN_TRANSPORTS]
        )
        for cid, ts in creds
    ]


def registration_options(params: Any, challenge: bytes) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptionsJSON`` from pure registration parameters."""
    options = generate_registration_options(
        rp_id=params.rp_id,
        rp_name=params.rp_name,
        user_id=params.user_id,
        user_name=params.user_name,
        user_display_name=params.user_display_name,
        challenge=challenge,
        timeout=params.timeout_ms,
        attestation=AttestationConveyancePreference(params.attestation),
        authenticator_selection=AuthenticatorSelectionCriteria(
            authenticator_attachment=(
                AuthenticatorAttachment(params.attachment) if params.attachment else None
            ),
            resident_key=ResidentKeyRequirement(params.resident_key),
            require_resident_key=params.require_resident_key,
            user_verification=UserVerificationRequirement(params.user_verification),
        ),
        exclude_credentials=_descriptors(params.exclude_credentials),
        supported_pub_key_algs=list(params.algorithms),
        hints=[PublicKeyCredentialHint(h) for h in params.hints] or None,
    )
    return dict(options_to_json_dict(options))


def authentication_options(params: Any, challenge: bytes) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptionsJSON`` from pure authentication parameters."""
    options = generate_authentication_options(
        rp_id=params.rp_id,
        challenge=challenge,
        timeout=params.timeout_ms,
        allow_credentials=_descriptors(params.allow_credentials),
        user_verification=UserVerificationRequirement(params.user_verification),
    )
    return dict(options_to_json_dict(options))


def _aaguid_matches_certificate(x5c: Sequence[bytes], aaguid: bytes) -> bool:
    """WebAuthn §8.2.1: a packed certificate naming an AAGUID must name the one in authData;
    otherwise a certificate for one model could vouch for any AAGUID the client picked."""
    try:
        leaf = x509.load_der_x509_certificate(bytes(x5c[0]))
        extension = leaf.extensions.get_extension_for_oid(_AAGUID_OID)
    except x509.ExtensionNotFound:
        return True
    except ValueError:
        return False
    raw = getattr(extension.value, "value", b"")
    return bool(raw[2:] == aaguid and raw[:2] == b"\x04\x10")


def _attestation_trust(
    fmt: AttestationFormat,
    x5c: Sequence[bytes] | None,
    aaguid: bytes,
    verify: Any,
    roots: Sequence[str],
) -> str:
    """Classify a statement that already verified without roots: none, self, trusted, untrusted.

    Without configured roots py_webauthn accepts any x5c chain, so a chain counts as trusted
    only when it verifies against the org's roots (or the vendor roots py_webauthn ships).
    """
    if fmt == AttestationFormat.NONE:
        return "none"
    if fmt == AttestationFormat.PACKED and not x5c:
        return "self"
    if fmt == AttestationFormat.PACKED and x5c and not _aaguid_matches_certificate(x5c, aaguid):
        return "untrusted"
    if fmt in _BUILTIN_ROOT_FORMATS:
        return "trusted"  # verified against py_webauthn's shipped vendor roots
    if fmt not in _CHAIN_FORMATS or not roots:
        return "untrusted"
    try:
        verify({fmt: [r.encode() for r in roots]})
    except _PARSE_ERRORS:
        return "untrusted"
    return "trusted"


def _read_registration(
    parsed: RegistrationCredential, *, rp_id: str, origins: Sequence[str]
) -> tuple[AttestationObject, AttestedCredentialData, int]:
    """Type, origin and RP ID hash; then the attestation object, its credential and algorithm."""
    response = parsed.response
    _check_client_data(
        bytes(response.client_data_json),
        expected_type=ClientDataType.WEBAUTHN_CREATE,
        origins=origins,
    )
    try:
        attestation = parse_attestation_object(bytes(response.attestation_object))
        attested = attestation.auth_data.attested_credential_data
        alg = decode_credential_public_key(attested.credential_public_key).alg if attested else None
    except _PARSE_ERRORS:
        raise _invalid("attestationObject is malformed.") from None
    _check_rp_id_hash(attestation.auth_data, rp_id=rp_id)
    if attested is None or alg is None:
        raise _invalid("attestationObject holds no attested credential data.")
    return attestation, attested, int(alg)


def registration_claims(
    parsed: RegistrationCredential, *, rp_id: str, origins: Sequence[str]
) -> AuthenticatorClaims:
    """The unsigned protocol steps of a registration, and what the authenticator claims."""
    attestation, _, alg = _read_registration(parsed, rp_id=rp_id, origins=origins)
    flags = attestation.auth_data.flags
    return AuthenticatorClaims(user_present=flags.up, user_verified=flags.uv, algorithm=alg)


def verify_registration(
    parsed: RegistrationCredential,
    *,
    challenge: bytes,
    rp_id: str,
    origins: Sequence[str],
    trusted_roots: Sequence[str],
) -> RegistrationResult:
    """Every protocol step of a registration, the attestation statement included; the
    facts it yields are judged by ``policy_checks.check_registration``."""
    response = parsed.response
    attestation, attested, alg = _read_registration(parsed, rp_id=rp_id, origins=origins)

    def verify(roots: Mapping[AttestationFormat, list[bytes]] | None) -> Any:
        return verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=list(origins),
            require_user_verification=False,
            supported_pub_key_algs=_ALL_ALGORITHMS,
            pem_root_certs_bytes_by_fmt=roots,
        )

    try:
        verified = verify(None)
    except (*_PARSE_ERRORS, InvalidSignature):
        raise AuthError.of(
            "attestation_untrusted", "The attestation statement does not verify."
        ) from None
    trust = _attestation_trust(
        attestation.fmt, attestation.att_stmt.x5c, attested.aaguid, verify, trusted_roots
    )
    flags = attestation.auth_data.flags
    reported = parsed.authenticator_attachment
    return RegistrationResult(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        algorithm=alg,
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        fmt=str(attestation.fmt),
        attestation=trust,
        user_present=flags.up,
        user_verified=flags.uv,
        backup_eligible=flags.be,
        backed_up=flags.bs,
        attachment=reported.value if reported else None,
        transports=tuple(
            t.value for t in (response.transports or []) if t.value in _KNOWN_TRANSPORTS
        ),
    )


def _read_assertion(
    parsed: AuthenticationCredential, *, rp_id: str, origins: Sequence[str]
) -> AuthenticatorData:
    _check_client_data(
        bytes(parsed.response.client_data_json),
        expected_type=ClientDataType.WEBAUTHN_GET,
        origins=origins,
    )
    try:
        auth_data = parse_authenticator_data(bytes(parsed.response.authenticator_data))
    except _PARSE_ERRORS:
        raise _invalid("authenticatorData is malformed.") from None
    _check_rp_id_hash(auth_data, rp_id=rp_id)
    return auth_data


def assertion_claims(
    parsed: AuthenticationCredential, *, rp_id: str, origins: Sequence[str]
) -> AuthenticatorClaims:
    """The unsigned protocol steps of an assertion, and what the authenticator claims."""
    flags = _read_assertion(parsed, rp_id=rp_id, origins=origins).flags
    return AuthenticatorClaims(user_present=flags.up, user_verified=flags.uv)


def verify_assertion(
    parsed: AuthenticationCredential,
    *,
    challenge: bytes,
    rp_id: str,
    origins: Sequence[str],
    public_key: bytes,
) -> AssertionResult:
    """Every protocol step of an assertion, the signature included; the facts it yields are
    judged by ``policy_checks.check_authentication``."""
    auth_data = _read_assertion(parsed, rp_id=rp_id, origins=origins)
    try:
        # The counter is checked by the caller, after the signature: a forged counter must
        # not be able to flag somebody else's credential.
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=list(origins),
            credential_public_key=public_key,
            credential_current_sign_count=0,
            require_user_verification=False,
        )
    except (*_PARSE_ERRORS, InvalidSignature):
        raise AuthError.of(
            "signature_invalid", "The assertion signature does not verify."
        ) from None
    return AssertionResult(
        credential_id=bytes(parsed.raw_id),
        sign_count=verified.new_sign_count,
        user_present=auth_data.flags.up,
        user_verified=auth_data.flags.uv,
        backup_eligible=auth_data.flags.be,
        backed_up=auth_data.flags.bs,
    )
