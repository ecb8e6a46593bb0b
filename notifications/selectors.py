"""Reads of the outbox: the in-app inbox (DOMAIN.md section 6: the inbox channel is always on) and
what is still waiting to be sent."""

from django.db.models import Count, Min, Q, QuerySet

from .models import Channel, DeliveryStatus, Notification


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
