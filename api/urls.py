"""The REST contract's routes on an organisation's host (shared/spec/api.md)."""

from django.urls import path, register_converter

from api.auth_settings import AuthSettingsApi
from api.auth_settings_preview import AuthSettingsPreviewApi
from api.credentials import CredentialDetailApi, CredentialListApi
from api.users import UserDetailApi, UserPasskeysApi
from api.webauthn import AuthenticateApi, AuthenticateOptionsApi, RegisterApi, RegisterOptionsApi
from api.well_known import JwksApi, WebAuthnOriginsApi


class Base64UrlConverter:
    regex = "[A-Za-z0-9_-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(Base64UrlConverter, "b64url")

urlpatterns = [
    path("webauthn/register/options", RegisterOptionsApi.as_view()),
    path("webauthn/register", RegisterApi.as_view()),
    path("webauthn/authenticate/options", AuthenticateOptionsApi.as_view()),
    path("webauthn/authenticate", AuthenticateApi.as_view()),
    path("webauthn/credentials", CredentialListApi.as_view()),
    path("webauthn/credentials/<b64url:credential_id>", CredentialDetailApi.as_view()),
    path("api/v1/auth-settings", AuthSettingsApi.as_view()),
    path("api/v1/auth-settings/preview", AuthSettingsPreviewApi.as_view()),
    path("api/v1/users/<str:external_id>", UserDetailApi.as_view()),
    path("api/v1/users/<str:external_id>/passkeys", UserPasskeysApi.as_view()),
    path(".well-known/jwks.json", JwksApi.as_view()),
    path(".well-known/webauthn", WebAuthnOriginsApi.as_view()),
]
