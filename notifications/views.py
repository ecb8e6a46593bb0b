"""The in-app notifications inbox (DOMAIN.md section 6: the inbox channel is always on)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from web.pages import paginate, redirect_back

from .selectors import FOLLOW_UP_KINDS, STOPPED_STATUSES, inbox_for, unread_for


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread_for(user).count()


@login_required
def inbox(request):
    show = request.GET.get("show", "all")
    notifications = unread_for(request.user) if show == "unread" else inbox_for(request.user)
    notifications = notifications.select_related("project").order_by("-created_at", "-id")
    return render(request, "notifications/inbox.html", {
        "page": paginate(request, notifications), "show": show, "stopped": STOPPED_STATUSES,
        "follow_up": FOLLOW_UP_KINDS,
    })


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
