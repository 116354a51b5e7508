"""The policy-field table: every field of an organisation's passkey policy, once.

``OrgPolicy`` is the table. Each policy attribute is declared with ``policy_field(...)``: its
type, default, kind of value (checked and described as an OpenAPI schema, ``policy_kinds``),
label and help for people, portal section, whether the server enforces it or only hints it to
the browser, and what a change affects (for the lockout preview). Everything else is derived
from it: the stored defaults, validation, the API's serializer and schema, the portal form.

Adding a field is one ``policy_field`` entry here, plus the field's use in the ceremonies.
Values are stored as a JSON object of the fields that differ from their defaults, so a new
field needs no schema migration (every organisation starts at its default); a data migration
over ``AuthSettings.values`` is needed only when a stored value changes name or form."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from auth_methods.policy_kinds import (
    REQUIREMENTS,
    Choice,
    CoseAlgorithm,
    Flag,
    Kind,
    ListOf,
    Origin,
    PemCertificate,
    Text,
    Uuid,
    Whole,
    rp_id_kind,
)


class Section(enum.Enum):
    """The portal's groups of fields, in page order."""

    ON_OFF = "Passkeys on or off"
    SIGN_IN = "Sign-in rules"
    AUTHENTICATORS = "Authenticators"
    ATTESTATION = "Attestation and allow-list"
    RELYING_PARTY = "Relying party"


class Enforcement(enum.Enum):
    SERVER = "server"  # checked on every request
    HINT = "hint"  # passed to the browser, which may ignore it
    DISPLAY = "display"  # shown to people, decides nothing


class Affects(enum.Enum):
    """What a change can take away, for the lockout preview."""

    SIGN_IN = "sign-in"  # may stop an existing passkey or the password from signing in
    REGISTRATION = "registration"  # shapes new registrations only
    NEITHER = "neither"  # timing, names, extra origins: nobody's only way in depends on it


MODEL_CAVEAT = "Only an attested AAGUID allow-list truly enforces the authenticator model."


@dataclass(frozen=True)
class PolicyField:
    kind: Kind
    label: str
    help: str
    section: Section
    enforcement: Enforcement
    affects: Affects
    # A valid value other than the default: the API schema's example.
    example: object
    # What a null value answers with (rp_name: the organisation's name); None: null itself.
    fallback: Callable[[Any], object] | None = None
    name: str = ""
    default: object = None

    def answered(self, policy: Any) -> object:
        """The field's value in the API's JSON (lists for tuples, a fallback for null)."""
        value = getattr(policy, self.name)
        if value is None and self.fallback is not None:
            return self.fallback(policy)
        return list(value) if isinstance(value, tuple) else value


_KEY = "policy_field"


def policy_field(
    default: object,
    kind: Kind,
    *,
    label: str,
    help: str,
    section: Section,
    enforcement: Enforcement = Enforcement.SERVER,
    affects: Affects,
    example: object,
    fallback: Callable[[Any], object] | None = None,
) -> Any:
    """One row of the table, as a dataclass field of ``OrgPolicy`` (typed ``Any`` so that the
    attribute keeps its declared type)."""
    row = PolicyField(kind, label, help, section, enforcement, affects, example, fallback)
    return field(default=default, metadata={_KEY: row})


def _org_name(policy: Any) -> object:
    return policy.org_name


_UV_HELP = (
    "Whether the authenticator must check it is the right person (PIN or biometrics). With "
    "required, the server refuses any response without the UV flag; preferred and discouraged "
    "are passed to the browser only."
)
_ATTACHMENT_HELP = (
    "platform = built into the device; cross-platform = a security key or a phone. Passed to "
    "the browser as a preference and hints. The browser reports the attachment unsigned: a "
    "registration that contradicts it is refused, one that omits it is accepted, and sign-in "
    f"does not check it. {MODEL_CAVEAT}"
)
_ROOT_EXAMPLE = """-----BEGIN CERTIFICATE-----
MIIBMjCB2aADAgECAgEBMAoGCCqGSM49BAMCMCMxITAfBgNVBAMMGEV4YW1wbGUg
YXR0ZXN0YXRpb24gcm9vdDAeFw0yNjAxMDEwMDAwMDBaFw00NjAxMDEwMDAwMDBa
MCMxITAfBgNVBAMMGEV4YW1wbGUgYXR0ZXN0YXRpb24gcm9vdDBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABAapzq44cQTDno6TIF6jggEVwL1rOHf8FTvUTwLvOk7H
XYOehcx6bJulbLM9/LRMHeMUOVtzAqFt1EbmgXf/Mr4wCgYIKoZIzj0EAwIDSAAw
RQIhAMeMkL2wFjdquVWxrad8sw4qWgC4SJv2AA+FmC6D4TA9AiALuTINyGuBto4f
/ZM7Hy1IsmB+k6RS/lWtE/cSGpKpuQ==
-----END CERTIFICATE-----
"""


@dataclass(frozen=True)
class OrgPolicy:
    # --- the policy fields, in the portal's order ----------------------------------------------
    passkey_registration_enabled: bool = policy_field(
        True,
        Flag(),
        label="Allow passkey registration",
        section=Section.ON_OFF,
        help="When off, nobody can add a passkey.",
        affects=Affects.REGISTRATION,
        example=False,
    )
    passkey_login_enabled: bool = policy_field(
        True,
        Flag(),
        label="Allow signing in with passkeys",
        section=Section.ON_OFF,
        help="When off, passkeys sign nobody in, not even as the second factor.",
        affects=Affects.SIGN_IN,
        example=False,
    )
    mfa_required: bool = policy_field(
        False,
        Flag(),
        label="Require a second factor",
        section=Section.SIGN_IN,
        help="A password sign-in must be followed by a second factor, and a passkey used alone "
        "must verify the person (PIN or biometrics).",
        affects=Affects.SIGN_IN,
        example=True,
    )
    passwordless_only: bool = policy_field(
        False,
        Flag(),
        label="Passwordless only",
        section=Section.SIGN_IN,
        help="People who hold a passkey may no longer sign in with a password.",
        affects=Affects.SIGN_IN,
        example=True,
    )
    user_verification: str = policy_field(
        "preferred",
        Choice(REQUIREMENTS),
        label="User verification",
        section=Section.SIGN_IN,
        help=_UV_HELP,
        affects=Affects.SIGN_IN,
        example="required",
    )
    timeout_seconds: int = policy_field(
        60,
        Whole(10, 600),
        label="Ceremony timeout (seconds)",
        section=Section.SIGN_IN,
        help="10 to 600: how long the browser waits, and how long a challenge stays valid.",
        affects=Affects.NEITHER,
        example=120,
    )
    token_ttl_seconds: int = policy_field(
        300,
        Whole(60, 3600),
        label="Sign-in token lifetime (seconds)",
        section=Section.SIGN_IN,
        help="60 to 3600: lifetime of the signed token returned after a passkey sign-in.",
        affects=Affects.NEITHER,
        example=600,
    )
    authenticator_attachment: str = policy_field(
        "any",
        Choice(("any", "platform", "cross-platform")),
        label="Authenticator attachment",
        section=Section.AUTHENTICATORS,
        help=_ATTACHMENT_HELP,
        enforcement=Enforcement.HINT,
        affects=Affects.REGISTRATION,
        example="platform",
    )
    resident_key: str = policy_field(
        "preferred",
        Choice(REQUIREMENTS),
        label="Discoverable credentials",
        section=Section.AUTHENTICATORS,
        enforcement=Enforcement.HINT,
        affects=Affects.REGISTRATION,
        help="Whether new passkeys should be discoverable, for sign-in without typing a username.",
        example="required",
    )
    allow_synced_passkeys: bool = policy_field(
        True,
        Flag(),
        label="Allow synced passkeys",
        section=Section.AUTHENTICATORS,
        help="When off, backup-eligible (synced) passkeys are refused at registration and sign-in.",
        affects=Affects.SIGN_IN,
        example=False,
    )
    algorithms: tuple[int, ...] = policy_field(
        (-8, -7, -257),
        ListOf(CoseAlgorithm(), min_items=1, unique=True),
        label="Signature algorithms",
        section=Section.AUTHENTICATORS,
        help="COSE ids in order of preference, separated by commas or new lines (-8 Ed25519, "
        "-7 ES256, -257 RS256). Registration and sign-in refuse any other.",
        affects=Affects.SIGN_IN,
        example=[-7, -257],
    )
    max_passkeys_per_user: int = policy_field(
        20,
        Whole(1, 100),
        label="Passkeys per user",
        section=Section.AUTHENTICATORS,
        help="1 to 100: registration is refused past this many.",
        affects=Affects.REGISTRATION,
        example=5,
    )
    attestation: str = policy_field(
        "none",
        Choice(("none", "indirect", "direct", "enterprise")),
        label="Attestation",
        section=Section.ATTESTATION,
        enforcement=Enforcement.HINT,
        affects=Affects.REGISTRATION,
        help="Which proof of the authenticator model to ask the browser for. On its own this "
        "is a request; “Require trusted attestation” or an AAGUID allow-list makes the server "
        "insist.",
        example="direct",
    )
    require_trusted_attestation: bool = policy_field(
        False,
        Flag(),
        label="Require trusted attestation",
        section=Section.ATTESTATION,
        help="Needs attestation direct or enterprise. Refuses registrations whose attestation "
        "is missing, self-signed or not chained to a trusted root.",
        affects=Affects.REGISTRATION,
        example=True,
    )
    allowed_aaguids: tuple[str, ...] = policy_field(
        (),
        ListOf(Uuid()),
        label="Allowed authenticator models (AAGUIDs)",
        section=Section.ATTESTATION,
        affects=Affects.SIGN_IN,
        help="One UUID per line; empty = any model. Needs attestation direct or enterprise: a "
        "model counts only when a trusted attestation proved it, at registration and at "
        f"sign-in. {MODEL_CAVEAT}",
        example=["cb69481e-8ff7-4039-93ec-0a2729a154a8"],
    )
    trusted_attestation_roots: tuple[str, ...] = policy_field(
        (),
        ListOf(PemCertificate()),
        label="Trusted attestation roots",
        section=Section.ATTESTATION,
        affects=Affects.REGISTRATION,
        help="PEM certificates that attestation chains must reach when attestation is "
        "required, besides the built-in Apple and Google roots.",
        example=[_ROOT_EXAMPLE],
    )
    rp_id: str | None = policy_field(
        None,
        rp_id_kind(),
        label="RP ID",
        section=Section.RELYING_PARTY,
        affects=Affects.SIGN_IN,
        help="The domain passkeys are bound to; empty = the organisation's primary host. Must "
        "be that host or a registrable suffix of it. Changing it strands every existing "
        "passkey.",
        example="acme.localhost",
    )
    rp_name: str | None = policy_field(
        None,
        Text(max_length=200),
        label="RP name",
        section=Section.RELYING_PARTY,
        help="The name authenticators show; empty = the organisation's name.",
        enforcement=Enforcement.DISPLAY,
        affects=Affects.NEITHER,
        example="Acme sign-in",
        fallback=_org_name,
    )
    allowed_origins: tuple[str, ...] = policy_field(
        (),
        ListOf(Origin()),
        label="Extra allowed origins",
        section=Section.RELYING_PARTY,
        help="One per line, https://host[:port] (http:// only for localhost). The "
        "organisation's own hosts are always allowed; origins outside the RP ID are related "
        "origins, published at /.well-known/webauthn.",
        # Extra origins widen where a ceremony may run; the org's own hosts always stay.
        affects=Affects.NEITHER,
        example=["https://login.acme.example"],
    )

    # --- the organisation itself, which the defaults above refer to (not policy fields) ----
    org_name: str = ""
    primary_host: str = ""
    org_origins: tuple[str, ...] = ()


def table_of(policy_class: type[Any]) -> tuple[PolicyField, ...]:
    """The rows declared on ``policy_class`` (``OrgPolicy`` or a dataclass extending it), in
    declaration order, each with its name and default filled in."""
    rows = []
    for f in fields(policy_class):
        row = f.metadata.get(_KEY)
        if row is not None:
            default = f.default if f.default is not MISSING else None
            rows.append(PolicyField(**{**vars(row), "name": f.name, "default": default}))
    return tuple(rows)


POLICY_TABLE: tuple[PolicyField, ...] = table_of(OrgPolicy)
POLICY_FIELDS: tuple[str, ...] = tuple(row.name for row in POLICY_TABLE)
DEFAULT_ALGORITHMS: tuple[int, ...] = OrgPolicy.algorithms


def policy_table() -> tuple[PolicyField, ...]:
    """The table, read at call time (so a test may extend it)."""
    return POLICY_TABLE


def policy_row(name: str) -> PolicyField | None:
    return next((row for row in policy_table() if row.name == name), None)
