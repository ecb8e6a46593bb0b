"""Thin adapters from projects.selectors (where the rules live) to views and DRF."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from rest_framework.permissions import BasePermission

from . import selectors


def role_required(check):
    """Page decorator: logged in, and `check(user)` true, else 404 (the page does not exist for them)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise Http404("无权访问")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class HasRole(BasePermission):
    """Any role at all: an authenticated account without a profile sees nothing."""

    def has_permission(self, request, view):
        return selectors.user_role(request.user) is not None


class CanEditProjects(BasePermission):
    """Create/edit (POST, PATCH) is the center's; reading is open to every role."""

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return selectors.user_role(request.user) is not None
        if getattr(view, "action", None) == "transition":
            return selectors.user_role(request.user) is not None  # checked per object and name
        return selectors.can_edit(request.user)


class CanSeeReports(BasePermission):
    def has_permission(self, request, view):
        return selectors.can_see_reports(request.user)
