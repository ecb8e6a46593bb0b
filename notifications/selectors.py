"""Reads of the outbox: the in-app inbox (DOMAIN.md section 6: the inbox channel is always on) and
what is still waiting to be sent."""

from django.db.models import Count, Min, Q, QuerySet

from projects.models import Status

from .models import Channel, DeliveryStatus, Kind, Notification

# Messages that only matter while their project is moving: once it is paused or terminated they
# are history, not work (issue 9: 14 of the center's 20 unread escalations were about such projects).
FOLLOW_UP_KINDS = (Kind.REMINDER, Kind.ESCALATION)
STOPPED_STATUSES = (Status.SUSPENDED, Status.TERMINATED)


def stopped_project_q() -> Q:
    """Reminders and escalations about a project now paused or terminated."""
    return Q(kind__in=FOLLOW_UP_KINDS, project__status__in=STOPPED_STATUSES)


def waiting(*, now) -> dict:
    """Pending rows not due yet at `now` (in their grace period after being written, or waiting
    for a retry): how many, and when the first is due."""
    return Notification.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__gt=now).aggregate(
        count=Count("pk"), first_at=Min("next_attempt_at"))


def inbox_for(user) -> QuerySet[Notification]:
    """The user's inbox rows, newest first: those addressed to the user, plus those addressed to
    the user's unit or leader record as a whole (written while the unit had no user, or the leader
    no login)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    # A missing reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError: getattr's
    # default covers it.
    mine = Q(recipient=user)
    profile = getattr(user, "profile", None)
    if profile is not None and profile.unit_id is not None:
        mine |= Q(recipient__isnull=True, unit_id=profile.unit_id)
    leader = getattr(user, "leader", None)
    if leader is not None:
        mine |= Q(recipient__isnull=True, leader_id=leader.pk)
    return Notification.objects.filter(mine, channel=Channel.INBOX).order_by("-created_at", "-id")


def unread_for(user) -> QuerySet[Notification]:
    """The user's unread inbox rows, without reminders and escalations about projects that have
    since been paused or terminated (the inbox still lists them, marked as such)."""
    return inbox_for(user).filter(read_at__isnull=True).exclude(stopped_project_q())
