from django.apps import AppConfig


class AuthMethodsConfig(AppConfig):
    name = "auth_methods"
    verbose_name = "Users and sign-in methods"

    def ready(self) -> None:
        from auth_methods import observe  # noqa: F401  (registers the metrics receiver)
