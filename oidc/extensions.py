"""The Authlib extensions and endpoints that make the provider this organisation's: ID
tokens signed with its keys for its issuer, RFC 9207 ``iss``, revocation and logout."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode, OpenIDToken
from authlib.oidc.rpinitiated import EndSessionEndpoint
from django.contrib.auth import logout
from django.db.models import Q
from django.utils import timezone
from joserfc.jwk import ECKey, RSAKey

from auth_methods.models import User
from auth_methods.tokens import current_signing_key, jwks
from oidc import tokens_store
from oidc.claims import user_claims
from oidc.models import AuthorizationCode, Client, Token, digest

CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]


@dataclass(frozen=True)
class Provider:
    """What makes the server this organisation's: its issuer and its ID-token lifetime."""

    issuer: str
    id_token_seconds: int


class _IdTokenSigning:
    """ID tokens signed with the org's current key for the client's algorithm."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    def get_client_algorithm(self, client: Client) -> str:
        return client.id_token_alg

    def get_encode_header(self, client: Client) -> dict[str, str]:
        kid, _ = current_signing_key(client.id_token_alg)
        return {"alg": client.id_token_alg, "kid": kid, "typ": "JWT"}

    def resolve_client_private_key(self, client: Client) -> Any:
        kid, private = current_signing_key(client.id_token_alg)
        key_class = RSAKey if client.id_token_alg == Client.Alg.RS256 else ECKey
        return key_class.import_key(private, {"kid": kid})

    def get_compatible_claims(self, request: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.provider.issuer,
            "aud": request.client.client_id,
            "iat": now,
            "exp": now + self.provider.id_token_seconds,
        }
        source = getattr(request, "refresh_token", None)
        if isinstance(source, Token):  # a refreshed ID token tells of the original sign-in
            claims.update(auth_time=source.auth_time, acr=source.acr)
            if source.amr:
                claims["amr"] = list(source.amr)
        return claims

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return UserInfo(user_claims(user, scope))


class IdTokenForCode(_IdTokenSigning, OpenIDCode):  # type: ignore[misc]
    def __init__(self, provider: Provider) -> None:
        _IdTokenSigning.__init__(self, provider)
        OpenIDCode.__init__(self, require_nonce=False)

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return AuthorizationCode.objects.filter(
            client__client_id=request.payload.client_id, nonce=nonce
        ).exists()


class IdTokenForRefresh(_IdTokenSigning, OpenIDToken):  # type: ignore[misc]
    pass


class Issuer(IssuerParameter):  # type: ignore[misc]
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer

    def add_issuer_parameter(self, authorization_server: Any, response: Any) -> None:
        # Authlib's version reads Flask's ``response.location``; Django keeps it as a header.
        if response.has_header("Location"):
            response["Location"] = add_params_to_uri(response["Location"], {"iss": self.issuer})


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        found = digest(token_string)
        token: Token | None = Token.objects.filter(
            Q(access_digest=found) | Q(refresh_digest=found)
        ).first()
        return token

    def revoke_token(self, token: Token, request: Any) -> None:
        found = digest(request.form["token"])
        if token.refresh_digest == found:  # the grant itself ends: every token descended
            tokens_store.family_revoke(token.family)
        else:
            Token.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    def __init__(self, provider: Provider) -> None:
        super().__init__()
        self.provider = provider

    def get_server_jwks(self) -> dict[str, Any]:
        return jwks()

    def get_algorithms(self) -> list[str]:
        return ["ES256", "RS256"]

    def _validate_id_token_hint(self, id_token_hint: str) -> dict[str, Any]:
        from authlib.oauth2.rfc6749 import InvalidRequestError

        claims: dict[str, Any] = super()._validate_id_token_hint(id_token_hint)
        if claims.get("iss") != self.provider.issuer:  # signed by us, but for another host
            raise InvalidRequestError("The id_token_hint was not issued here.")
        return claims

    def end_session(self, end_session_request: Any) -> None:
        logout(end_session_request.request._request)
