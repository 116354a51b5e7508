"""The organisation's OpenID Provider, on Authlib: one server per request, bound to the org.

Authlib implements the protocol (RFC 6749 code grant, PKCE, refresh, RFC 7009 revocation,
RFC 9207 ``iss``, OIDC ID tokens, RP-initiated logout); this module only supplies what is
Passgate's: the issuer (the org's origin), its signing keys, and storage in the org's own
schema. The request's search path already points at that schema, so every query below can
only see this organisation's clients, codes and tokens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.integrations.django_oauth2.requests import DjangoOAuth2Payload, DjangoOAuth2Request
from authlib.oauth2.rfc6749 import OAuth2Request, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from django.http import HttpRequest
from django.utils import timezone

from auth_methods.audit import Actor, audit_record
from auth_methods.models import User
from auth_methods.sign_in_facts import SignInFacts
from oidc import tokens_store
from oidc.claims import ACR_BASIC, ACR_PHISHING_RESISTANT, SCOPES
from oidc.extensions import (
    CLIENT_AUTH,
    EndSession,
    IdTokenForCode,
    IdTokenForRefresh,
    Issuer,
    Provider,
    Revocation,
)
from oidc.models import AuthorizationCode, Client, Token, digest

CODE_SECONDS = 60  # a code is exchanged at once by a working client
ACCESS_TOKEN_SECONDS = 900


class OrgServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.sign_in: SignInFacts | None = None  # set by the authorize view before a code
        super().__init__(Client, Token)
        self.scopes_supported = list(SCOPES)  # anything else is invalid_scope

    def query_client(self, client_id: str) -> Client | None:
        if not isinstance(client_id, str) or len(client_id) > 64:
            return None
        client: Client | None = Client.objects.filter(client_id=client_id, active=True).first()
        return client

    def save_token(self, token: dict[str, Any], request: Any) -> Token:
        saved = tokens_store.token_save(
            token=token,
            client=request.client,
            user=request.user,
            source=getattr(request, "authorization_code", None)
            or getattr(request, "refresh_token", None),
        )
        meta = request._request.META
        audit_record(
            actor=Actor(
                label=f"oidc_client:{request.client.client_id}",
                ip=meta.get("REMOTE_ADDR") or None,
                user_agent=str(meta.get("HTTP_USER_AGENT", ""))[:500],
            ),
            action="oidc.token_issue",
            subject=request.user,
            data={
                "client_id": request.client.client_id,
                "grant_type": request.payload.grant_type,
                "scope": saved.scope,
                "refresh_token": bool(saved.refresh_digest),
            },
        )
        return saved

    def create_oauth2_request(self, request: Any) -> Any:
        return _OrgRequest(request)

    def create_bearer_token_generator(self) -> Any:
        bearer = BearerTokenGenerator(
            access_token_generator=lambda **_: tokens_store.new_secret(),
            refresh_token_generator=lambda **_: tokens_store.new_secret(),
            expires_generator=lambda client, grant_type: ACCESS_TOKEN_SECONDS,
        )

        def generate(**kwargs: Any) -> dict[str, Any]:
            # A refresh token only for apps that asked to stay signed in (OIDC Core 11).
            scope = str(kwargs.get("scope") or "")
            kwargs["include_refresh_token"] = "offline_access" in scope.split()
            token: dict[str, Any] = bearer.generate(**kwargs)
            return token

        return generate


class _OrgRequest(DjangoOAuth2Request):  # type: ignore[misc]
    """Authlib refuses plain http except on ``localhost`` itself; development serves each org
    at ``http://<slug>.localhost``, which browsers also treat as a secure context. Production
    is https (PASSGATE_HTTPS), and Authlib's check still applies to every other host."""

    def __init__(self, request: HttpRequest) -> None:
        uri = request.build_absolute_uri()
        host = request.get_host().rsplit(":", 1)[0].lower()
        OAuth2Request.__init__(
            self,
            request.method,
            "http://localhost/" if host.endswith(".localhost") else uri,
            headers=request.headers,
        )
        self.uri = uri
        self.payload = DjangoOAuth2Payload(request)
        self._request = request


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH

    def save_authorization_code(self, code: str, request: Any) -> AuthorizationCode:
        facts = self.server.sign_in
        assert facts is not None  # noqa: S101 (the authorize view grants only after sign-in)
        payload = request.payload.data
        return AuthorizationCode.objects.create(
            code_digest=digest(code),
            client=request.client,
            user=request.user,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope or "",
            nonce=str(payload.get("nonce") or "")[:255],
            code_challenge=str(payload.get("code_challenge") or ""),
            code_challenge_method=str(payload.get("code_challenge_method") or ""),
            auth_time=facts.at,
            amr=list(facts.amr),
            acr=ACR_PHISHING_RESISTANT if facts.phishing_resistant else ACR_BASIC,
            expires_at=timezone.now() + timedelta(seconds=CODE_SECONDS),
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        return tokens_store.code_claim(code=code, client=client)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Spent codes are kept (marked used when claimed) so that a replay is recognised."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> User | None:
        return _active(authorization_code.user)


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotated on every use

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        return tokens_store.refresh_claim(refresh_token=refresh_token, client=self.request.client)

    def authenticate_user(self, refresh_token: Token) -> User | None:
        return _active(refresh_token.user)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        Token.objects.filter(pk=refresh_token.pk).update(revoked_at=timezone.now())


def _active(user: User) -> User | None:
    return user if user.is_active else None


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only ("plain" proves nothing against a stolen request), and required of
    public clients at the authorization request already, not just at the token endpoint."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        from authlib.oauth2.rfc6749 import InvalidRequestError

        data = grant.request.payload.data
        if grant.request.client.public and not data.get("code_challenge"):
            raise InvalidRequestError("Public clients must use PKCE (code_challenge, S256).")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.code_challenge_method


def build_server(provider: Provider) -> OrgServer:
    server = OrgServer(provider)
    server.register_grant(CodeGrant, [S256Only(required=True), IdTokenForCode(provider)])
    server.register_grant(RefreshGrant, [IdTokenForRefresh(provider)])
    server.register_endpoint(Revocation)
    server.register_endpoint(EndSession(provider))
    server.register_extension(Issuer(provider.issuer))
    return server
