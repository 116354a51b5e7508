"""The four ceremony endpoints: one APIView per operation, each a thin door to the services."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.context import (
    api_key_of,
    ceremony_context,
    request_org,
    request_origin,
    session_user_of,
)
from api.permissions import IsCaller, IsKeyOrBrowser
from api.serializers import (
    AuthenticationResponseField,
    FieldsBoundOnce,
    JsonObjectField,
    PasskeySerializer,
    RegistrationResponseField,
    StrictCharField,
    StrictInput,
    WebAuthnUserSerializer,
)
from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.passkeys import services
from auth_methods.sessions import pending_user, start_session
from auth_methods.sign_in_facts import passkey_amr, record_sign_in
from auth_methods.users import user_for_integrator


def _valid(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WebAuthnUserRef(FieldsBoundOnce, StrictInput):
    id = StrictCharField(max_length=200)
    name = StrictCharField(max_length=254)
    display_name = StrictCharField(max_length=200, required=False, allow_blank=True)


class WebAuthnUserId(FieldsBoundOnce, StrictInput):
    id = StrictCharField(max_length=200)


class CeremonyOptions(serializers.Serializer[Any]):
    publicKey = JsonObjectField()  # noqa: N815 (the contract's name)


class RegisterOptionsApi(APIView):
    permission_classes = [IsCaller]
    audit_action = "passkey.register_options"

    class RegisterOptionsInput(FieldsBoundOnce, StrictInput):
        schema_required = ("user",)  # a browser session sends {} and acts for itself
        user = WebAuthnUserRef(required=False)

    @extend_schema(request=RegisterOptionsInput, responses={200: CeremonyOptions})
    def post(self, request: Request) -> Response:
        data = _valid(self.RegisterOptionsInput, request.data)
        ctx = ceremony_context(request)
        with transaction.atomic():  # a user created here is rolled back if options fail
            user: User | None
            if api_key_of(request) is not None:
                if "user" not in data:
                    raise AuthError.of(
                        "invalid_request", "user: required with an API key.", field="user"
                    )
                ref = data["user"]
                user = user_for_integrator(
                    external_id=ref["id"],
                    name=ref["name"],
                    display_name=ref.get("display_name", ""),
                )
            else:
                user = session_user_of(request)
                if user is None:
                    raise AuthError.of("unauthenticated", "Sign in, or call with an API key.")
            options = services.registration_options(ctx=ctx, user=user)
        return Response(options)


class RegisterApi(APIView):
    permission_classes = [IsCaller]
    audit_action = "passkey.register"

    class RegisterInput(FieldsBoundOnce, StrictInput):
        credential = RegistrationResponseField()
        label = StrictCharField(max_length=100, required=False, allow_blank=True)  # type: ignore[assignment]

    class RegisterOutput(serializers.Serializer[Any]):
        passkey = PasskeySerializer()

    @extend_schema(request=RegisterInput, responses={201: RegisterOutput})
    def post(self, request: Request) -> Response:
        data = _valid(self.RegisterInput, request.data)
        passkey = services.register(
            ctx=ceremony_context(request),
            credential=data["credential"],
            label=data.get("label"),
            session_user=None if api_key_of(request) else session_user_of(request),
        )
        return Response(
            {"passkey": PasskeySerializer(passkey).data}, status=status.HTTP_201_CREATED
        )


class AuthenticateOptionsApi(APIView):
    permission_classes = [IsKeyOrBrowser]
    audit_action = "passkey.authenticate_options"

    class AuthenticateOptionsInput(FieldsBoundOnce, StrictInput):
        user = WebAuthnUserId(required=False)

    @extend_schema(request=AuthenticateOptionsInput, responses={200: CeremonyOptions})
    def post(self, request: Request) -> Response:
        data = _valid(self.AuthenticateOptionsInput, request.data)
        external_id = data["user"]["id"] if "user" in data else None
        pending = None if api_key_of(request) else pending_user(request._request)
        if pending is not None:  # the second factor after a password: that user's passkeys
            external_id = pending.external_id
        return Response(
            services.authentication_options(ctx=ceremony_context(request), external_id=external_id)
        )


class AuthenticateApi(APIView):
    permission_classes = [IsKeyOrBrowser]
    audit_action = "passkey.authenticate"

    class AuthenticateInput(FieldsBoundOnce, StrictInput):
        credential = AuthenticationResponseField()

    class AuthenticateOutput(serializers.Serializer[Any]):
        user = WebAuthnUserSerializer()
        passkey = PasskeySerializer()
        user_verified = serializers.BooleanField()
        token = serializers.CharField()

    @extend_schema(request=AuthenticateInput, responses={200: AuthenticateOutput})
    def post(self, request: Request) -> Response:
        data = _valid(self.AuthenticateInput, request.data)
        ctx = ceremony_context(request)
        browser = None
        if api_key_of(request) is None:
            pending = pending_user(request._request)
            browser = services.BrowserSignIn(pending_user_id=pending.pk if pending else None)
        sign_in = services.authenticate(ctx=ctx, credential=data["credential"], browser=browser)
        token = services.sign_in_token(
            ctx=ctx,
            sign_in=sign_in,
            issuer=request_origin(request),
            audience=request_org(request).slug,
        )
        if browser is not None:
            start_session(request._request, sign_in.user)
            record_sign_in(
                request._request,
                amr=passkey_amr(
                    backup_eligible=sign_in.passkey.backup_eligible,
                    user_verified=sign_in.user_verified,
                    after_password=browser.pending_user_id is not None,
                ),
                phishing_resistant=sign_in.user_verified,
            )
        return Response(
            {
                "user": WebAuthnUserSerializer(sign_in.user).data,
                "passkey": PasskeySerializer(sign_in.passkey).data,
                "user_verified": sign_in.user_verified,
                "token": token,
            }
        )
