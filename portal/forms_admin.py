"""Forms of the admin pages (users, API keys, audit log): shape only, services decide meaning."""

from __future__ import annotations

from typing import Any

from django import forms

from auth_methods.audit_selectors import AuditFilters
from auth_methods.models import AuditEvent, User


class UserSearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=254,
        help_text="Part of an email, display name or external id.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class UserCreateForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    display_name = forms.CharField(label="Display name", max_length=200, required=False)
    role = forms.ChoiceField(choices=User.Role.choices, initial=User.Role.MEMBER)
    password = forms.CharField(
        max_length=1024,
        required=False,
        strip=False,
        help_text="Without one, the user can sign in with a passkey only.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    external_id = forms.CharField(
        label="External id",
        max_length=200,
        required=False,
        help_text="Your own system's id for this user; left empty, one is generated.",
    )


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this key, e.g. “Billing backend”.")
    admin_scope = forms.BooleanField(
        label="Admin scope",
        required=False,
        help_text="Lets the key change users and the passkey policy, not only run ceremonies.",
    )

    def scopes(self) -> list[str]:
        return ["admin"] if self.cleaned_data.get("admin_scope") else []


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False)
    user = forms.CharField(
        required=False,
        max_length=254,
        help_text="An email or external id: events where this user acted or was acted on.",
    )
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any outcome"), *AuditEvent.Outcome.choices]
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)  # noqa: S101 (declared just above)
        action.choices = [("", "Any action")] + [(a, a) for a in actions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "“To” must not be before “From”.")
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            action=data.get("action") or "",
            user=data.get("user") or "",
            outcome=data.get("outcome") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
