"""The OpenAPI description of our token header (drf-spectacular knows knox's class, not our subclass)."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class TokenScheme(KnoxTokenScheme):
    target_class = "accounts.tokens.TokenAuthentication"
    name = "tokenAuth"
