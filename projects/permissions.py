"""Thin adapters from projects.selectors (where the rules live) to views and DRF."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from rest_framework.exceptions import NotFound
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
    """Creating is the center's; reading is open to every role. Calls on one project (PATCH, a
    transition) are checked per object after the lookup, so an out-of-scope code answers 404."""

    def has_permission(self, request, view):
        if request.method == "POST" and getattr(view, "action", None) == "create":
            return selectors.can_edit(request.user)
        return selectors.user_role(request.user) is not None

    def has_object_permission(self, request, view, obj):
        if request.method in ("PATCH", "PUT"):
            return selectors.can_edit(request.user, obj)
        return True  # transitions: can_transition, per name, in the view


class CanSeeReports(BasePermission):
    """Reports are not there for a unit (404, as its pages); anonymous callers get DRF's 401."""

    def has_permission(self, request, view):
        if selectors.user_role(request.user) is not None and not selectors.can_see_reports(request.user):
            raise NotFound("无权访问")
        return selectors.can_see_reports(request.user)
