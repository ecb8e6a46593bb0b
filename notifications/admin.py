"""Admin for the outbox (every notification is a row: auditable and retryable) and reminder offsets."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone

from .models import Channel, DeliveryStatus, Notification, ReminderOffset
from .services import enqueue_pending


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    # Failed rows (after the last attempt) are what an administrator looks for: the error is in the list.
    list_display = ("created_at", "kind", "channel", "recipient_key", "subject", "status", "attempts", "sent_at",
                    "last_error_short")
    list_filter = ("status", "kind", "channel")
    search_fields = ("subject", "reason", "recipient_key", "address")
    date_hierarchy = "created_at"
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "unit", "leader", "project", "node", "problem")
    actions = ["retry"]

    @admin.display(description="最近错误")
    def last_error_short(self, obj):
        return obj.last_error[:80]

    def get_readonly_fields(self, request, obj=None):
        # History is not edited: what was sent, to whom and when stays as it was.
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description="重新发送（失败或待发送的消息）")
    def retry(self, request, queryset):
        rows = queryset.exclude(channel=Channel.INBOX).exclude(status=DeliveryStatus.SENT)
        ids = list(rows.values_list("pk", flat=True))
        rows.update(status=DeliveryStatus.PENDING, attempts=0, claimed_until=None, next_attempt_at=timezone.now())
        transaction.on_commit(lambda: enqueue_pending(ids=ids))
        messages.success(request, f"已重新加入发送队列 {len(ids)} 条")


@admin.register(ReminderOffset)
class ReminderOffsetAdmin(admin.ModelAdmin):
    list_display = ("working_days",)
