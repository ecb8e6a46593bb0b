"""Admin for the data that drives node dates: deadline rules and the holiday calendar (section 6)."""

from django.contrib import admin, messages

from projects.models import local_today

from . import workdays
from .models import CalendarDay, DeadlineRule


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "is_workday", "name")
    list_filter = ("is_workday", ("date", admin.DateFieldListFilter))
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)

    @admin.display(description="星期")
    def weekday(self, obj):
        return "一二三四五六日"[obj.date.weekday()]

    def changelist_view(self, request, extra_context=None):
        # Section 6: a year without data falls back to weekends-only; say so where it is fixed.
        today = local_today()
        missing = workdays.years_without_data([today.year, today.year + 1])
        if missing:
            listed = "、".join(str(y) for y in missing)
            messages.warning(
                request,
                f"尚无 {listed} 年的节假日与调休数据，工作日暂按周一至周五计算（影响到期提醒与每周预警日期）。"
                "请根据国务院办公厅发布的放假安排补录：法定节假日（工作日放假）不勾选“是否上班”，"
                "调休上班的周六、周日勾选“是否上班”。",
            )
        return super().changelist_view(request, extra_context)


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = ("node_type", "after", "months", "default_unit", "use_platform_unit")
    list_editable = ("months", "default_unit", "use_platform_unit")
