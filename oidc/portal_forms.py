"""Portal forms for OpenID Connect clients: shape only; the client service checks meaning."""

from __future__ import annotations

from typing import Any

from django import forms

from oidc.claims import SCOPES
from oidc.models import Client


class _Lines(forms.CharField):
    """One URI per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [line.strip() for line in str(text).splitlines() if line.strip()]


class ClientForm(forms.Form):
    name = forms.CharField(max_length=100)
    redirect_uris = _Lines(label="Redirect URIs", help_text="One per line, matched exactly.")
    post_logout_redirect_uris = _Lines(
        label="Post-logout redirect URIs", required=False, help_text="One per line."
    )
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in SCOPES],
        initial=list(SCOPES),
        widget=forms.CheckboxSelectMultiple,
    )
    third_party = forms.BooleanField(
        required=False,
        label="Third-party app: ask each person for consent",
    )
    id_token_alg = forms.ChoiceField(
        choices=Client.Alg.choices, label="ID token signature", initial=Client.Alg.ES256
    )


class ClientCreateForm(ClientForm):
    public = forms.BooleanField(
        required=False,
        label="Public client (a browser or mobile app): no secret, PKCE required",
    )


class ClientEditForm(ClientForm):
    active = forms.BooleanField(required=False, label="Enabled (disabling ends its tokens)")

    @classmethod
    def for_client(cls, client: Client, data: Any = None) -> ClientEditForm:
        initial = {
            "name": client.name,
            "redirect_uris": "\n".join(client.redirect_uris),
            "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris),
            "scopes": list(client.scopes),
            "third_party": client.third_party,
            "id_token_alg": client.id_token_alg,
            "active": client.active,
        }
        return cls(data, initial=initial)
