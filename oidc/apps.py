from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "oidc"
    verbose_name = "OpenID Provider"

    def ready(self) -> None:
        from auth_methods.session_revocation import sessions_ended
        from oidc.tokens_store import user_grants_end

        sessions_ended.connect(user_grants_end, dispatch_uid="passgate-oidc-grants-end")
