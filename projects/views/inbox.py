"""The in-app notifications inbox (DOMAIN.md section 6: the inbox channel is always on)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from notifications.selectors import inbox_for

from .common import paginate, redirect_back


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return inbox_for(user).filter(read_at__isnull=True).count()


@login_required
def inbox(request):
    notifications = inbox_for(request.user).select_related("project").order_by("-created_at", "-id")
    show = request.GET.get("show", "all")
    if show == "unread":
        notifications = notifications.filter(read_at__isnull=True)
    return render(request, "projects/inbox.html", {"page": paginate(request, notifications), "show": show})


@require_POST
@login_required
def inbox_read(request, pk=None):
    rows = inbox_for(request.user).filter(read_at__isnull=True)
    if pk is not None:
        # Someone else's message does not exist for this user.
        get_object_or_404(inbox_for(request.user).values("pk"), pk=pk)
        rows = rows.filter(pk=pk)
    rows.update(read_at=timezone.now())
    return redirect_back(request, "inbox")
