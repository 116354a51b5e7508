"""Passkey ceremonies and management: transactions, audit and policy, around ceremony.py."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from auth_methods import errors
from auth_methods import policy as pol
from auth_methods import policy_checks as checks
from auth_methods.audit import Actor, audit_record, audit_values
from auth_methods.encoding import b64url_encode
from auth_methods.errors import AuthError
from auth_methods.models import Challenge, Passkey, User
from auth_methods.notifications import notify_passkey_added
from auth_methods.passkeys import ceremony
from auth_methods.passkeys.authenticators import authenticator_name
from auth_methods.passkeys.challenges import challenge_issue
from auth_methods.passkeys.registration_statements import (
    consume_and_load_user,
    lock_owner_and_count,
    passkey_refs,
)
from auth_methods.passkeys.selectors import stored_facts
from auth_methods.passkeys.sign_in_statements import (
    consume_and_load,
    issue_for_user,
    record_use,
)
from auth_methods.reauth import require_recent_auth

MAX_LABEL = 100


@dataclass(frozen=True)
class CeremonyContext:
    """One request's view of its organisation: the policy and who is asking."""

    policy: pol.OrgPolicy
    actor: Actor


@dataclass(frozen=True)
class SignIn:
    user: User
    passkey: Passkey
    user_verified: bool


def _credential_refs(
    credentials: Iterable[tuple[bytes | memoryview, list[str]]],
) -> list[pol.CredentialRef]:
    """(credential id, transports) pairs as the policy functions take them."""
    return [
        pol.CredentialRef(id=bytes(cred_id), transports=tuple(transports))
        for cred_id, transports in credentials
    ]


def registration_options(*, ctx: CeremonyContext, user: User) -> dict[str, Any]:
    require_recent_auth(ctx.actor, recovery_allows=True)
    policy = ctx.policy
    checks.check_registration_allowed(policy, passkey_count=0)  # before any lookup
    if not user.is_active:
        raise AuthError.of("user_inactive", "This user is disabled.")
    existing = passkey_refs(user.pk)
    checks.check_registration_allowed(policy, passkey_count=len(existing))
    user_ref = pol.UserRef(
        id=bytes(user.webauthn_user_handle),
        name=user.email,
        display_name=user.display_name or user.email,
    )
    params = pol.registration_params(policy, user_ref, _credential_refs(existing))
    challenge = challenge_issue(
        purpose=Challenge.Purpose.REGISTRATION, user_id=user.pk, ttl_seconds=policy.timeout_seconds
    )
    return {"publicKey": ceremony.registration_options(params, challenge)}


def _clean_label(label: object, fallback: str) -> str:
    if label is None:
        return fallback
    if not isinstance(label, str) or len(label.strip()) > MAX_LABEL:
        raise AuthError.of(
            "invalid_request",
            f"label must be a string of at most {MAX_LABEL} characters.",
            field="label",
        )
    return label.strip() or fallback


def register(
    *,
    ctx: CeremonyContext,
    credential: object,
    label: object = None,
    session_user: User | None = None,
) -> Passkey:
    """Verify a registration response and store the passkey, enforcing the whole policy."""
    require_recent_auth(ctx.actor, recovery_allows=True)
    policy = ctx.policy
    parsed, info = ceremony.parse_registration(credential)
    _, user = consume_and_load_user(info.challenge, purpose=Challenge.Purpose.REGISTRATION)
    if user is None or (session_user is not None and session_user.pk != user.pk):
        raise AuthError.of("challenge_invalid", "This challenge was issued for another user.")
    checks.check_registration_allowed(policy, passkey_count=0)  # turned off meanwhile?
    if not user.is_active:
        raise AuthError.of("user_inactive", "This user is disabled.")
    rp_id, origins = pol.effective_rp_id(policy), pol.expected_origins(policy)
    claims = ceremony.registration_claims(parsed, rp_id=rp_id, origins=origins)
    checks.check_claims(policy, claims)  # before the attestation is verified
    result = ceremony.verify_registration(
        parsed,
        challenge=info.challenge,
        rp_id=rp_id,
        origins=origins,
        trusted_roots=policy.trusted_attestation_roots,
    )
    checks.check_registration(policy, _registration_facts(result))
    name = authenticator_name(result.aaguid)
    try:
        with transaction.atomic():
            # Lock the owner so two concurrent registrations cannot both pass the limit.
            count, taken = lock_owner_and_count(user.pk, result.credential_id)
            checks.check_registration_allowed(policy, passkey_count=count)
            if taken:
                raise _already_registered()
            passkey = Passkey.objects.create(
                user=user,
                credential_id=result.credential_id,
                public_key=result.public_key,
                algorithm=result.algorithm,
                sign_count=result.sign_count,
                label=_clean_label(label, name or "Passkey"),
                aaguid=result.aaguid,
                aaguid_attested=result.attestation == "trusted",
                attestation_format=result.fmt,
                transports=list(result.transports),
                attachment=result.attachment or "",
                backup_eligible=result.backup_eligible,
                backed_up=result.backed_up,
                user_verified=result.user_verified,
            )
            notify_passkey_added(user, passkey.label)
            if user.passkey_enrolment_required:  # onboarding done
                User.objects.filter(pk=user.pk).update(passkey_enrolment_required=False)
            audit_record(
                actor=ctx.actor,
                action="passkey.register",
                subject=user,
                credential_id=b64url_encode(result.credential_id),
                data={
                    "aaguid": result.aaguid,
                    "attestation": result.attestation,
                    "label": passkey.label,
                },
            )
    except IntegrityError:
        raise _already_registered() from None
    return passkey


def _already_registered() -> AuthError:
    return AuthError.of("credential_already_registered", "This credential is already registered.")


def _registration_facts(result: ceremony.RegistrationResult) -> checks.VerifiedRegistration:
    return checks.VerifiedRegistration(
        aaguid=result.aaguid,
        alg=result.algorithm,
        user_present=result.user_present,
        user_verified=result.user_verified,
        backup_eligible=result.backup_eligible,
        backed_up=result.backed_up,
        attestation_type=result.attestation,
        attachment=result.attachment,
        fmt=result.fmt,
    )


def authentication_options(*, ctx: CeremonyContext, external_id: str | None) -> dict[str, Any]:
    """Options for a named user (allowCredentials lists their passkeys) or a usernameless one."""
    policy = ctx.policy
    checks.check_login_allowed(policy)
    purpose, ttl = Challenge.Purpose.AUTHENTICATION, policy.timeout_seconds
    allow = None
    if external_id is None:
        challenge = challenge_issue(purpose=purpose, user_id=None, ttl_seconds=ttl)
    else:
        # One round trip: the challenge is stored for the user, and their passkeys read.
        issued = issue_for_user(external_id, purpose=purpose, ttl_seconds=ttl)
        if issued is None:
            raise AuthError.of("not_found", "No such user in this organisation.")
        challenge, credentials = issued
        allow = _credential_refs(credentials)
    params = pol.authentication_params(policy, allow)
    return {"publicKey": ceremony.authentication_options(params, challenge)}


def _unknown_credential() -> AuthError:
    # The same answer for another org's credential, a deleted one and one never seen.
    return AuthError.of("credential_unknown", "This organisation holds no such credential.")


@dataclass(frozen=True)
class BrowserSignIn:
    """A browser signing a person in: after a password (``pending_user_id``) the passkey is
    the second factor and must be that user's; without one it must satisfy the org alone."""

    pending_user_id: int | None


def _check_browser(
    policy: pol.OrgPolicy, browser: BrowserSignIn, passkey: Passkey, uv: bool
) -> None:
    if browser.pending_user_id is not None and passkey.user_id != browser.pending_user_id:
        raise _unknown_credential()
    checks.check_passkey_alone(
        policy, after_password=browser.pending_user_id is not None, user_verified=uv
    )


def authenticate(
    *, ctx: CeremonyContext, credential: object, browser: BrowserSignIn | None = None
) -> SignIn:
    """Verify an assertion and return who signed in; every policy rule is enforced here."""
    policy = ctx.policy
    parsed, info = ceremony.parse_authentication(credential)
    # One round trip: the challenge is used up and the credential (with its owner) loaded.
    pending, passkey = consume_and_load(
        info.challenge, info.credential_id, purpose=Challenge.Purpose.AUTHENTICATION
    )
    checks.check_login_allowed(policy)
    if passkey is None or (pending.user_id is not None and passkey.user_id != pending.user_id):
        raise _unknown_credential()
    user = passkey.user
    cred_id = b64url_encode(info.credential_id)
    # py_webauthn does not compare userHandle with the credential's owner: a swapped handle
    # would otherwise sign in as whoever owns the credential while the client claims another.
    if (pending.user_id is None and info.user_handle is None) or (
        info.user_handle is not None and info.user_handle != bytes(user.webauthn_user_handle)
    ):
        raise _with_subject(
            AuthError.of("user_handle_mismatch", "The userHandle is not the credential owner's."),
            user,
            cred_id,
        )
    try:
        result = _verified_assertion(policy, parsed, info.challenge, passkey)
    except AuthError as exc:
        raise _with_subject(exc, user, cred_id) from None
    if not user.is_active:
        raise _with_subject(AuthError.of("user_inactive", "This user is disabled."), user, cred_id)
    if browser is not None:
        _check_browser(policy, browser, passkey, result.user_verified)
    _record_sign_in(ctx, passkey, result, cred_id)
    return SignIn(user=user, passkey=passkey, user_verified=result.user_verified)


def _verified_assertion(
    policy: pol.OrgPolicy, parsed: Any, challenge: bytes, passkey: Passkey
) -> ceremony.AssertionResult:
    rp_id, origins = pol.effective_rp_id(policy), pol.expected_origins(policy)
    # The authenticator's claims first, so UP and UV refusals keep their own codes.
    checks.check_claims(policy, ceremony.assertion_claims(parsed, rp_id=rp_id, origins=origins))
    result = ceremony.verify_assertion(
        parsed,
        challenge=challenge,
        rp_id=rp_id,
        origins=origins,
        public_key=bytes(passkey.public_key),
    )
    checks.check_authentication(policy, _assertion_facts(result), stored_facts(passkey))
    return result


def _record_sign_in(
    ctx: CeremonyContext, passkey: Passkey, result: ceremony.AssertionResult, cred_id: str
) -> None:
    """Store the new counter and last use, audited; or refuse the sign-in."""
    now = timezone.now()
    # The counter check and its write are one conditional UPDATE: of two assertions racing
    # with one counter (a clone) only one can match the row. Its audit event is written by
    # the same statement, only if it matched.
    accepted = record_use(
        passkey.pk,
        sign_count=result.sign_count,
        accepted_below=checks.sign_count_accepted_below(result.sign_count),
        backed_up=result.backed_up,
        now=now,
        audit=audit_values(
            actor=ctx.actor,
            action="passkey.authenticate",
            subject=passkey.user,
            credential_id=cred_id,
            data={"user_verified": result.user_verified},
        ),
    )
    if not accepted:
        refusal = _counter_refusal(passkey, result.sign_count, now)
        raise _with_subject(refusal, passkey.user, cred_id)
    passkey.sign_count, passkey.last_used_at, passkey.backed_up = (
        result.sign_count,
        now,
        result.backed_up,
    )


def _counter_refusal(passkey: Passkey, new_count: int, now: datetime) -> AuthError:
    """Why the conditional UPDATE matched nothing. If the counter did not grow past the stored
    one, flag the credential, again in one conditional statement; written outside any request
    transaction on purpose, so the flag survives the error. Otherwise the credential was
    flagged (or deleted) meanwhile."""
    flagged = (
        Passkey.objects.filter(pk=passkey.pk)
        .exclude(checks.sign_count_accepted(new_count))
        .update(flagged=True, flagged_at=Coalesce(F("flagged_at"), Value(now)))
    )
    if flagged:
        return AuthError.of(
            "sign_count_regressed",
            f"The signature counter {new_count} did not grow past the stored one: possible "
            "cloned authenticator; the credential is now flagged.",
        )
    if Passkey.objects.filter(pk=passkey.pk).exists():
        return errors.CREDENTIAL_FLAGGED.with_detail(
            "This credential was flagged as a possible clone meanwhile."
        )
    return _unknown_credential()


def _with_subject(error: AuthError, user: User, credential_id: str) -> AuthError:
    """Attach who and which credential, so the failure's audit event can name them."""
    error.subject = user  # type: ignore[attr-defined]
    error.credential_id = credential_id  # type: ignore[attr-defined]
    return error


def _assertion_facts(result: ceremony.AssertionResult) -> checks.VerifiedAssertion:
    return checks.VerifiedAssertion(
        user_present=result.user_present,
        user_verified=result.user_verified,
        backup_eligible=result.backup_eligible,
        backed_up=result.backed_up,
        sign_count=result.sign_count,
    )


def sign_in_token(*, ctx: CeremonyContext, sign_in: SignIn, issuer: str, audience: str) -> str:
    """The contract's ES256 token; ``amr`` claims only what the ceremony proved (RFC 8176)."""
    from auth_methods.tokens import token_issue

    amr = ["pop", "user"] + (["mfa"] if sign_in.user_verified else [])
    return token_issue(
        issuer=issuer,
        audience=audience,
        subject=sign_in.user.external_id,
        amr=amr,
        credential_id=b64url_encode(bytes(sign_in.passkey.credential_id)),
        ttl_seconds=ctx.policy.token_ttl_seconds,
    )
