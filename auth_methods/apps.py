from django.apps import AppConfig


class AuthMethodsConfig(AppConfig):
    name = "auth_methods"
    verbose_name = "Users and sign-in methods"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from auth_methods import observe  # noqa: F401  (registers the metrics receiver)
        from auth_methods.session_revocation import stamp_session

        user_logged_in.connect(stamp_session, dispatch_uid="passgate-stamp-session-epoch")
