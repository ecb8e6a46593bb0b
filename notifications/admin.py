"""Admin for the outbox (every notification is a row: auditable and retryable) and reminder offsets."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import PeriodicTask

from .models import Channel, DeliveryStatus, Notification, ReminderOffset
from .services import enqueue_pending
from .tasks import TASK_LABELS


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

    def has_delete_permission(self, request, obj=None):
        # A sent message is evidence (audit.evidence); an unsent one may go, one at a time.
        return obj is not None and obj.status != DeliveryStatus.SENT and super().has_delete_permission(request, obj)

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


# --- the schedules (django-celery-beat), in Chinese ----------------------------------------------
# django-celery-beat leaves some of its admin untranslated ("Task Name" is not even marked for
# translation, the scheduler column has no label), and shows tasks by import path. Its admin is
# subclassed here rather than its models patched.


def task_label(task: str) -> str:
    return TASK_LABELS.get(task, task)


class TaskFilter(admin.SimpleListFilter):
    title = "任务"
    parameter_name = "task"

    def lookups(self, request, model_admin):
        return [(task, task_label(task)) for task in
                PeriodicTask.objects.order_by("task").values_list("task", flat=True).distinct()]

    def queryset(self, request, queryset):
        return queryset.filter(task=self.value()) if self.value() else queryset


class TaskSelectWidget(beat_admin.TaskSelectWidget):
    def tasks_as_choices(self):
        return (("", "（请选择）"),) + tuple((task, task_label(task)) for _, task in super().tasks_as_choices()[1:])


WEEKDAYS = {"1-5": "工作日（周一至周五）", "*": "每天"}


def crontab_label(crontab) -> str:
    """A schedule as an administrator says it ("每天 09:00"); cron_descriptor's zh_CN for the rest
    (its Chinese is partial, so the common cases are spelled out here)."""
    from cron_descriptor import Options, get_description

    simple = crontab.day_of_month == crontab.month_of_year == "*" and crontab.day_of_week in WEEKDAYS
    if simple and crontab.hour.isdigit() and crontab.minute.isdigit():
        text = f"{WEEKDAYS[crontab.day_of_week]} {int(crontab.hour):02d}:{int(crontab.minute):02d}"
    else:
        options = Options()
        options.locale_code, options.use_24hour_time_format = "zh_CN", True
        expression = " ".join([crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year,
                               crontab.day_of_week])
        text = get_description(expression, options)
    return f"{text}（{crontab.timezone}）" if str(crontab.timezone) != "Asia/Shanghai" else text


class PeriodicTaskForm(beat_admin.PeriodicTaskForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regtask"].widget = TaskSelectWidget()
        self.fields["regtask"].label = "任务（已注册）"
        self.fields["task"].label = "任务（自定义路径）"
        self.fields["crontab"].label_from_instance = crontab_label
        if self.instance.task in TASK_LABELS:
            self.initial["regtask"] = self.instance.task


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    form = PeriodicTaskForm
    list_display = ("name", "task_name", "enabled", "schedule", "last_run_at", "total_run_count")
    list_filter = ["enabled", TaskFilter, "last_run_at"]
    fieldsets = (
        (None, {"fields": ("name", "regtask", "task", "enabled", "description"), "classes": ("extrapretty", "wide")}),
        ("执行时间", {"fields": ("interval", "crontab", "crontab_translation", "solar", "clocked", "start_time",
                             "last_run_at", "one_off"), "classes": ("extrapretty", "wide")}),
        ("任务参数", {"fields": ("args", "kwargs"), "classes": ("extrapretty", "wide", "collapse", "in")}),
        ("执行选项", {"fields": ("expires", "expire_seconds", "queue", "exchange", "routing_key", "priority",
                             "headers"), "classes": ("extrapretty", "wide", "collapse", "in")}),
    )

    @admin.display(description="任务", ordering="task")
    def task_name(self, obj):
        return task_label(obj.task)

    change_form_template = "admin/notifications/periodictask_change_form.html"

    @admin.display(description="执行时间")
    def schedule(self, obj):
        if obj.crontab_id:
            return crontab_label(obj.crontab)
        if obj.interval_id:
            return f"每 {obj.interval.every} {obj.interval.get_period_display()}"
        return str(obj.scheduler)

    @admin.display(description="执行时间说明")
    def crontab_translation(self, obj):
        return crontab_label(obj.crontab) if obj.crontab_id else "—"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The page's script shows the chosen schedule in words; django-celery-beat gives English.
        from django_celery_beat.models import CrontabSchedule

        extra_context = {**(extra_context or {}),
                         "readable_crontabs": {c.pk: crontab_label(c) for c in CrontabSchedule.objects.all()}}
        task = self.get_object(request, object_id) if object_id else None
        if task is not None:
            # PeriodicTask's str is "name: 0 9 * * 1 (m/h/dM/MY/d) Asia/Shanghai"; the page is titled by its name.
            extra_context["subtitle"] = task.name
        return admin.ModelAdmin.changeform_view(self, request, object_id, form_url, extra_context)
