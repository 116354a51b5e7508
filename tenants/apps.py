from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from tenants import checks, signals  # noqa: F401  (registers checks and receivers)
