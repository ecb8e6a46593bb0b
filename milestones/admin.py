"""Admin for the data that drives node dates: deadline rules and the holiday calendar (section 6), and
the 要素保障 rules and needs (section 11)."""

from django.contrib import admin, messages

from projects.models import local_today

from . import factor_services, workdays
from .models import CalendarDay, DeadlineRule, FactorNeed, FactorRule, FactorSecured


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


# --- 要素保障 (DOMAIN.md section 11) -------------------------------------------------------------


@admin.register(FactorRule)
class FactorRuleAdmin(admin.ModelAdmin):
    list_display = ("factor_type", "default_unit")
    list_editable = ("default_unit",)

    def has_add_permission(self, request):
        return False  # one row per type, created by the migration

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        moved = factor_services.rule_apply_unit(rule=obj)
        messages.info(request, f"{obj.get_factor_type_display()}要素的 {moved} 项需求已改由「{obj.default_unit or '项目责任单位'}」负责")


class FactorSecuredInline(admin.TabularInline):
    """The evidence: shown, never edited or deleted here (a wrong record is offset by a new one)."""

    model = FactorSecured
    extra = 0
    fields = ("secured_on", "amount", "document", "by", "at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FactorNeed)
class FactorNeedAdmin(admin.ModelAdmin):
    list_display = ("project", "factor_type", "needed", "secured", "needed_by_set", "responsible_unit", "problem")
    list_filter = ("factor_type", "responsible_unit")
    search_fields = ("project__code", "project__name")
    list_select_related = ("project", "responsible_unit", "problem")
    # Amounts secured move only through dated records (the 要素保障 page or the API).
    # The unit follows the type's rule (要素保障规则), as a node's follows its node rule.
    readonly_fields = ("project", "factor_type", "secured", "responsible_unit", "problem_opened_for", "problem")
    fields = ("project", "factor_type", "needed", "secured", "needed_by_set", "responsible_unit",
              "problem_opened_for", "problem")
    inlines = [FactorSecuredInline]

    def has_add_permission(self, request):
        return False  # stated on the 要素保障 page, through the API or the ledger

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A larger need or an earlier date can make it overdue now (section 11).
        factor_services.open_overdue_problems(as_of=local_today(), projects=[obj.project_id])
