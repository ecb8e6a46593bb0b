"""django-axes glue: separate limits per account and per address, the client's address behind the
proxy, and the Chinese lockout answer (a page for the login form, JSON for the API)."""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Axes has one failure limit; the address count is scaled onto it so that an address is locked
    after LOGIN_ADDRESS_FAILURE_LIMIT failures and an account after LOGIN_FAILURE_LIMIT."""

    def get_failures(self, request, credentials=None) -> int:
        by_account, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        scaled = by_address * settings.LOGIN_FAILURE_LIMIT // settings.LOGIN_ADDRESS_FAILURE_LIMIT
        return max(by_account, scaled)


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or behind our proxy the address it appended last to X-Forwarded-For (earlier
    entries come from the client and can be forged)."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def lockout_message() -> str:
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    wait = f"请 {minutes} 分钟后再试，或" if minutes else "请"
    return f"登录失败次数过多，该账号或地址已被暂时锁定。{wait}联系系统管理员解锁。"


def lockout_response(request, original_response=None, credentials=None):
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message()}, status=status)
    form = AuthenticationForm(request, data=None)
    return render(request, "registration/login.html", {"form": form, "locked_out": lockout_message()},
                  status=status)


class LockoutBackend(AxesStandaloneBackend):
    """axes' gate for logins over the network; a check without a request (the shell, a command,
    a test) has no address to count and is let through to the password check."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
