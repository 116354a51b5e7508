"""The passkey-policy form: every policy field, shape only.

Meaning (ranges, origins, the RP ID, combinations) is decided by
``policy_validation.validate_changes``; its errors are put on these fields by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms import BoundField

from auth_methods.policy import POLICY_FIELDS, OrgPolicy
from auth_methods.policy_validation import REQUIREMENTS

SERVER, HINT, DISPLAY = "server", "hint", "display"
ENFORCEMENT_LABELS = {
    SERVER: "Enforced on the server",
    HINT: "Hint to the browser",
    DISPLAY: "Shown to people",
}
MODEL_CAVEAT = "Only an attested AAGUID allow-list truly enforces the authenticator model."

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)


def _as_text(value: Any, joiner: str) -> Any:
    if isinstance(value, list | tuple):
        return joiner.join(str(v) for v in value)
    return value


class LinesField(forms.CharField):
    """A textarea holding one entry per line; blank lines are ignored."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, strip=False, max_length=65_536, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return _as_text(value, "\n")

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class AlgorithmsField(LinesField):
    """COSE algorithm ids, separated by commas or new lines."""

    def prepare_value(self, value: Any) -> Any:
        return _as_text(value, ", ")

    def clean(self, value: Any) -> list[int]:  # type: ignore[override]
        text = ",".join(super().clean(value))
        items = [item.strip() for item in text.split(",") if item.strip()]
        try:
            return [int(item) for item in items]
        except ValueError:
            raise forms.ValidationError(
                "Write whole numbers (COSE ids such as -7), separated by commas or new lines."
            ) from None


class PemField(LinesField):
    """PEM certificates, pasted one after another (blank lines between them are optional)."""

    widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false"})

    def prepare_value(self, value: Any) -> Any:
        return _as_text(value, "\n")

    def clean(self, value: Any) -> list[str]:
        text = forms.CharField.clean(self, value) or ""
        blocks = [m.group(0) for m in _PEM_BLOCK.finditer(text)]
        if _PEM_BLOCK.sub("", text).strip():
            raise forms.ValidationError(
                "Paste only PEM blocks (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)."
            )
        return blocks


class OptionalTextField(forms.CharField):
    """Text where blank means null (follow the organisation)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, max_length=253, **kwargs)

    def clean(self, value: Any) -> str | None:
        return super().clean(value) or None


def _bool(label: str, help_text: str) -> forms.BooleanField:
    return forms.BooleanField(required=False, label=label, help_text=help_text)


def _choice(label: str, choices: tuple[str, ...], help_text: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=[(c, c) for c in choices], help_text=help_text)


def _number(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, help_text=help_text)


class PolicyForm(forms.Form):
    passkey_registration_enabled = _bool(
        "Allow passkey registration", "When off, nobody can add a passkey."
    )
    passkey_login_enabled = _bool(
        "Allow signing in with passkeys",
        "When off, passkeys sign nobody in, not even as the second factor.",
    )
    mfa_required = _bool(
        "Require a second factor",
        "A password sign-in must be followed by a second factor, and a passkey used alone must "
        "verify the person (PIN or biometrics).",
    )
    passwordless_only = _bool(
        "Passwordless only", "People who hold a passkey may no longer sign in with a password."
    )
    user_verification = _choice(
        "User verification",
        REQUIREMENTS,
        "Whether the authenticator must check it is the right person (PIN or biometrics). "
        "With required, the server refuses any response without the UV flag; preferred and "
        "discouraged are passed to the browser only.",
    )
    timeout_seconds = _number(
        "Ceremony timeout (seconds)",
        "10 to 600: how long the browser waits, and how long a challenge stays valid.",
    )
    token_ttl_seconds = _number(
        "Sign-in token lifetime (seconds)",
        "60 to 3600: lifetime of the signed token returned after a passkey sign-in.",
    )
    authenticator_attachment = _choice(
        "Authenticator attachment",
        ("any", "platform", "cross-platform"),
        "platform = built into the device; cross-platform = a security key or a phone. Passed "
        "to the browser as a preference and hints. The browser reports the attachment "
        "unsigned: a registration that contradicts it is refused, one that omits it is "
        f"accepted, and sign-in does not check it. {MODEL_CAVEAT}",
    )
    resident_key = _choice(
        "Discoverable credentials",
        REQUIREMENTS,
        "Whether new passkeys should be discoverable, for sign-in without typing a username.",
    )
    allow_synced_passkeys = _bool(
        "Allow synced passkeys",
        "When off, backup-eligible (synced) passkeys are refused at registration and sign-in.",
    )
    algorithms = AlgorithmsField(
        label="Signature algorithms",
        help_text="COSE ids in order of preference, separated by commas or new lines "
        "(-8 Ed25519, -7 ES256, -257 RS256). Registration and sign-in refuse any other.",
    )
    max_passkeys_per_user = _number(
        "Passkeys per user", "1 to 100: registration is refused past this many."
    )
    attestation = _choice(
        "Attestation",
        ("none", "indirect", "direct", "enterprise"),
        "Which proof of the authenticator model to ask the browser for. On its own this is a "
        "request; “Require trusted attestation” or an AAGUID allow-list makes the server insist.",
    )
    require_trusted_attestation = _bool(
        "Require trusted attestation",
        "Needs attestation direct or enterprise. Refuses registrations whose attestation is "
        "missing, self-signed or not chained to a trusted root.",
    )
    allowed_aaguids = LinesField(
        label="Allowed authenticator models (AAGUIDs)",
        help_text="One UUID per line; empty = any model. Needs attestation direct or "
        "enterprise: a model counts only when a trusted attestation proved it, at registration "
        f"and at sign-in. {MODEL_CAVEAT}",
    )
    trusted_attestation_roots = PemField(
        label="Trusted attestation roots",
        help_text="PEM certificates that attestation chains must reach when attestation is "
        "required, besides the built-in Apple and Google roots.",
    )
    rp_id = OptionalTextField(
        label="RP ID",
        help_text="The domain passkeys are bound to; empty = the organisation's primary host. "
        "Must be that host or a registrable suffix of it. Changing it strands every existing "
        "passkey.",
    )
    rp_name = OptionalTextField(
        label="RP name", help_text="The name authenticators show; empty = the organisation's name."
    )
    allowed_origins = LinesField(
        label="Extra allowed origins",
        help_text="One per line, https://host[:port] (http:// only for localhost). The "
        "organisation's own hosts are always allowed; origins outside the RP ID are related "
        "origins, published at /.well-known/webauthn.",
    )
    # The lockout preview's fingerprint, echoed by the "I understand" checkbox.
    confirm_lockout = forms.CharField(required=False)

    def __init__(self, data: Any = None, *, policy: OrgPolicy) -> None:
        super().__init__(data, initial={name: getattr(policy, name) for name in POLICY_FIELDS})
        self.fields["rp_id"].widget.attrs["placeholder"] = policy.primary_host
        self.fields["rp_name"].widget.attrs["placeholder"] = policy.org_name

    def changes(self) -> dict[str, object]:
        """The whole policy as the settings service takes it (call after is_valid())."""
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}

    def sections(self) -> list[Section]:
        return [
            Section(title, [FieldRow(self[name], ENFORCEMENT[name]) for name in names])
            for title, names in SECTIONS
        ]


@dataclass(frozen=True)
class FieldRow:
    field: BoundField
    enforcement: str

    @property
    def badge(self) -> str:
        return ENFORCEMENT_LABELS[self.enforcement]


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[FieldRow]


SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Passkeys on or off", ("passkey_registration_enabled", "passkey_login_enabled")),
    (
        "Sign-in rules",
        (
            "mfa_required",
            "passwordless_only",
            "user_verification",
            "timeout_seconds",
            "token_ttl_seconds",
        ),
    ),
    (
        "Authenticators",
        (
            "authenticator_attachment",
            "resident_key",
            "allow_synced_passkeys",
            "algorithms",
            "max_passkeys_per_user",
        ),
    ),
    (
        "Attestation and allow-list",
        (
            "attestation",
            "require_trusted_attestation",
            "allowed_aaguids",
            "trusted_attestation_roots",
        ),
    ),
    ("Relying party", ("rp_id", "rp_name", "allowed_origins")),
)

ENFORCEMENT = {name: SERVER for name in POLICY_FIELDS} | {
    "attestation": HINT,
    "authenticator_attachment": HINT,
    "resident_key": HINT,
    "rp_name": DISPLAY,
}
# Every policy field is on the page exactly once.
assert sorted(n for _, names in SECTIONS for n in names) == sorted(POLICY_FIELDS)  # noqa: S101
