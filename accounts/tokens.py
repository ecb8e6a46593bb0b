"""API tokens (django-rest-knox): one per device or script, stored hashed, until it expires or is
revoked; their logins and logouts recorded beside the session ones (django-axes' AccessLog)."""

import hashlib

from axes.models import AccessLog
from axes.utils import reset as reset_failures
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.utils import timezone
from knox import auth as knox_auth
from knox.models import AuthToken
from rest_framework import exceptions


def issue_token(user) -> str:
    """A new token for `user` (its expiry is REST_KNOX's TOKEN_TTL); only its hash is stored."""
    _, token = AuthToken.objects.create(user=user)
    return token


def _log_key(token: AuthToken) -> str:
    # AccessLog ties a login to its logout by a session hash; a token's is its (public) key's.
    return hashlib.sha256(token.token_key.encode()).hexdigest()


def record_token_login(request, token: AuthToken):
    """The login record a session login gets from django-axes (who, when, from where, through what),
    without making a session for an API client; and its failure count cleared, as a login does."""
    from .lockout import client_ip

    AccessLog.objects.create(
        username=token.user.get_username(), ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255], http_accept=request.META.get("HTTP_ACCEPT", "")[:1025],
        path_info=request.path[:255], attempt_time=timezone.now(), session_hash=_log_key(token),
    )
    reset_failures(username=token.user.get_username())
    update_last_login(None, token.user)


def record_token_logout(token: AuthToken):
    AccessLog.objects.filter(username=token.user.get_username(), session_hash=_log_key(token),
                             logout_time__isnull=True).update(logout_time=timezone.now())


def revoke_tokens(user) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's, with the refusal in Chinese."""

    def authenticate_credentials(self, token):
        try:
            return super().authenticate_credentials(token)
        except exceptions.AuthenticationFailed:
            raise exceptions.AuthenticationFailed("令牌无效、已过期或已被撤销，请重新获取。") from None
