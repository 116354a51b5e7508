"""The REST contract's routes on an organisation's host (shared/spec/api.md)."""

from django.urls import path, register_converter

from api.auth_settings import AuthSettingsApi
from api.auth_settings_preview import AuthSettingsPreviewApi
from api.credentials import CredentialDetailApi, CredentialListApi
from api.users import UserDetailApi, UserPasskeysApi
from api.webauthn import AuthenticateApi, AuthenticateOptionsApi, RegisterApi, RegisterOptionsApi
from api.well_known import JwksApi, WebAuthnOriginsApi


class Base64UrlConverter:
    """A credential id: WebAuthn ids are at most 1023 bytes, 1364 base64url characters. Longer
    or other characters cannot name a passkey, so they are 404 at routing, never a lookup."""

    regex = "[A-Za-z0-9_-]{1,1364}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ExternalIdConverter(Base64UrlConverter):
    """A user's external id as the model holds it: 1..200 characters, no NUL (PostgreSQL text
    refuses NUL, and an id it could not store names no user)."""

    regex = "[^/\x00]{1,200}"


register_converter(Base64UrlConverter, "b64url")
register_converter(ExternalIdConverter, "external_id")

urlpatterns = [
    path("webauthn/register/options", RegisterOptionsApi.as_view()),
    path("webauthn/register", RegisterApi.as_view()),
    path("webauthn/authenticate/options", AuthenticateOptionsApi.as_view()),
    path("webauthn/authenticate", AuthenticateApi.as_view()),
    path("webauthn/credentials", CredentialListApi.as_view()),
    path("webauthn/credentials/<b64url:credential_id>", CredentialDetailApi.as_view()),
    path("api/v1/auth-settings", AuthSettingsApi.as_view()),
    path("api/v1/auth-settings/preview", AuthSettingsPreviewApi.as_view()),
    path("api/v1/users/<external_id:external_id>", UserDetailApi.as_view()),
    path("api/v1/users/<external_id:external_id>/passkeys", UserPasskeysApi.as_view()),
    path(".well-known/jwks.json", JwksApi.as_view()),
    path(".well-known/webauthn", WebAuthnOriginsApi.as_view()),
]
