from __future__ import annotations

from auth_methods.encoding import b64url_decode
from auth_methods.models import Passkey, User
from auth_methods.policy_checks import StoredCredentialFacts, VerifiedAssertion


def passkeys_for_user(user: User) -> list[Passkey]:
    return list(Passkey.objects.filter(user=user))


def passkey_count(user: User) -> int:
    return Passkey.objects.filter(user=user).count()


def passkey_by_id(credential_id: str) -> Passkey | None:
    """A passkey of the current organisation by its base64url id; another org's is None."""
    try:
        raw = b64url_decode(credential_id)
    except ValueError:
        return None
    passkey: Passkey | None = (
        Passkey.objects.select_related("user").filter(credential_id=raw).first()
    )
    return passkey


def stored_facts(passkey: Passkey) -> StoredCredentialFacts:
    """What the sign-in rules need to know of a stored passkey (the ceremony and the lockout
    preview both read it here)."""
    return StoredCredentialFacts(
        aaguid=passkey.aaguid,
        aaguid_attested=passkey.aaguid_attested,
        backup_eligible=passkey.backup_eligible,
        flagged=passkey.flagged,
        sign_count=passkey.sign_count,
        algorithm=passkey.algorithm,
    )


def likely_assertion(passkey: Passkey) -> VerifiedAssertion:
    """The assertion ``passkey`` would make: present, verifying the user as it did when it was
    registered, and as backup-eligible as it was then (the BE flag never changes)."""
    return VerifiedAssertion(
        user_present=True,
        user_verified=passkey.user_verified,
        backup_eligible=passkey.backup_eligible,
        backed_up=passkey.backed_up,
        sign_count=passkey.sign_count + 1,
    )
