from django.apps import AppConfig


class AuthMethodsConfig(AppConfig):
    name = "auth_methods"
    verbose_name = "Users and sign-in methods"
