"""The passkey-policy form: every field of the policy table, shape only.

Each input, label, help text, section and enforcement badge comes from the table
(``auth_methods.policy_fields``); meaning (ranges, origins, the RP ID, combinations) is decided
by ``policy_validation.validate_changes``, whose errors are put on these fields by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms import BoundField

from auth_methods.policy import OrgPolicy
from auth_methods.policy_fields import MODEL_CAVEAT as MODEL_CAVEAT
from auth_methods.policy_fields import Enforcement, PolicyField, policy_table
from auth_methods.policy_fields import Section as PolicySection
from auth_methods.policy_kinds import (
    Choice,
    CoseAlgorithm,
    Flag,
    ListOf,
    PemCertificate,
    Text,
    Whole,
)

ENFORCEMENT_LABELS = {
    Enforcement.SERVER.value: "Enforced on the server",
    Enforcement.HINT.value: "Hint to the browser",
    Enforcement.DISPLAY.value: "Shown to people",
}

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


def _form_field(row: PolicyField) -> forms.Field:
    """The input for one row of the policy table, chosen by the kind of value it holds."""
    kind, label, help_text = row.kind, row.label, row.help
    if isinstance(kind, Flag):
        return forms.BooleanField(required=False, label=label, help_text=help_text)
    if isinstance(kind, Choice):
        choices = [(c, c) for c in kind.options]
        return forms.ChoiceField(label=label, choices=choices, help_text=help_text)
    if isinstance(kind, Whole):
        # No min/max here: the range is the service's rule, and its message says it.
        return forms.IntegerField(label=label, help_text=help_text)
    if isinstance(kind, Text):
        return OptionalTextField(label=label, help_text=help_text)
    if isinstance(kind, ListOf) and isinstance(kind.item, CoseAlgorithm):
        return AlgorithmsField(label=label, help_text=help_text)
    if isinstance(kind, ListOf) and isinstance(kind.item, PemCertificate):
        return PemField(label=label, help_text=help_text)
    if isinstance(kind, ListOf):
        return LinesField(label=label, help_text=help_text)
    raise TypeError(f"no portal input for the kind of {row.name}: {kind!r}")


class PolicyForm(forms.Form):
    """Every field of the policy table, in its section's order."""

    # The lockout preview's fingerprint, echoed by the "I understand" checkbox.
    confirm_lockout = forms.CharField(required=False)

    def __init__(self, data: Any = None, *, policy: OrgPolicy) -> None:
        self.rows = policy_table()
        initial = {row.name: getattr(policy, row.name) for row in self.rows}
        super().__init__(data, initial=initial)
        for row in self.rows:
            self.fields[row.name] = _form_field(row)
        self.fields["rp_id"].widget.attrs["placeholder"] = policy.primary_host
        self.fields["rp_name"].widget.attrs["placeholder"] = policy.org_name

    def changes(self) -> dict[str, object]:
        """The whole policy as the settings service takes it (call after is_valid()): the
        fields whose input was well-formed, so the service can judge them all at once."""
        return {
            row.name: self.cleaned_data[row.name]
            for row in self.rows
            if row.name in self.cleaned_data
        }

    def sections(self) -> list[Section]:
        return [
            Section(section.value, [FieldRow(self[r.name], r.enforcement.value) for r in rows])
            for section in PolicySection
            for rows in [[r for r in self.rows if r.section is section]]
            if rows
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
