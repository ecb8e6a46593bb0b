from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Who gets in (issue 8 section 3): lockout, API tokens, password rules, login records."""

    name = "accounts"
    verbose_name = "登录与令牌"

    def ready(self):
        from . import schema, signals  # noqa: F401  (registers the schema extension, connects the revocation)
