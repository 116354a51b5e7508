"""Portal forms check shape only; services decide meaning and their AuthErrors land on fields."""

from __future__ import annotations

from django import forms

from auth_methods.errors import AuthError


class SignInForm(forms.Form):
    email = forms.CharField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username webauthn", "autofocus": True}),
    )
    # Not stripped: a password is kept as typed when it is set (as Django's own forms do).
    password = forms.CharField(
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ConfirmForm(forms.Form):
    password = forms.CharField(
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


def add_auth_error(form: forms.Form, error: AuthError) -> None:
    """Show a service error on its field when it names one the form has, else on the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.detail)
