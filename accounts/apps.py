from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Who gets in (issue 8 section 3): lockout, API tokens, password rules, login records."""

    name = "accounts"
    verbose_name = "登录与令牌"

    def ready(self):
        # Registers the schema extension, connects the revocation and the login's session refresh.
        from . import middleware, schema, signals  # noqa: F401
