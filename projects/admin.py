"""Admin for projects and the organisation. The state moves only through the transition form here
(the same service as the pages and the API). Evidence — history rows, 批示, problem replies — is
read-only here as everywhere (audit.evidence); every edit made here is in the audit trail."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_fsm import ConcurrentTransition

from milestones.models import Node
from milestones.services import sync_nodes

from . import compliance
from .forms import LostUpdateFormMixin, RevertForm, TransitionForm
from .models import (
    Instruction,
    Leader,
    Platform,
    Problem,
    ProblemReply,
    Profile,
    ProgressNote,
    Project,
    Transition,
    TransitionLog,
    Unit,
    last_revertible,
)
from .selectors import state_transitions
from .services import EditConflict, TransitionConflict, check_version, project_revert_last, project_transition


class GroupRobotForm(forms.ModelForm):
    """The 加签 secret is write-only: never rendered back, kept when the field is left empty,
    removed only on request."""

    # The robots' addresses are https; the explicit scheme also keeps Django 6's default change quiet.
    webhook_url = forms.URLField(label="群机器人 Webhook", required=False, max_length=500, assume_scheme="https")
    webhook_secret = forms.CharField(
        label="加签密钥", required=False, strip=True, widget=forms.PasswordInput(render_value=False),
        help_text="机器人安全设置为「加签」时填写（钉钉为 SEC 开头的密钥）。保存后不再显示；留空则保持原密钥不变",
    )
    clear_webhook_secret = forms.BooleanField(label="清除已保存的加签密钥", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.webhook_secret:
            self.fields["webhook_secret"].help_text = "已设置（不显示）。" + self.fields["webhook_secret"].help_text

    def clean_webhook_secret(self):
        secret = self.cleaned_data["webhook_secret"]
        return secret or (self.instance.webhook_secret if self.instance.pk else "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_webhook_secret"):
            cleaned["webhook_secret"] = ""
            self.instance.webhook_secret = ""
        return cleaned


ROBOT_FIELDSET = ("群机器人", {"fields": ["webhook_url", "webhook_kind", "webhook_secret", "clear_webhook_secret",
                                       "webhook_keyword"]})


class GroupRobotAdmin(admin.ModelAdmin):
    form = GroupRobotForm

    @admin.display(description="群机器人")
    def robot(self, obj):
        if not obj.webhook_url:
            return "—"
        security = "、".join(label for label, on in (("加签", obj.webhook_secret), ("关键词", obj.webhook_keyword)) if on)
        return f"{obj.get_webhook_kind_display()}{f'（{security}）' if security else ''}"


@admin.register(Unit)
class UnitAdmin(GroupRobotAdmin):
    list_display = ["name", "is_investment_center", "email", "robot", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["name"]
    fieldsets = [(None, {"fields": ["name", "is_investment_center", "email", "sort_order"]}), ROBOT_FIELDSET]


@admin.register(Leader)
class LeaderAdmin(GroupRobotAdmin):
    list_display = ["name", "title", "user", "robot", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["name", "title"]
    autocomplete_fields = ["user"]
    fieldsets = [(None, {"fields": ["name", "title", "user", "sort_order"]}), ROBOT_FIELDSET]


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "unit"]
    search_fields = ["name"]


class ProfileInline(admin.StackedInline):
    """A login's role and unit are set on the user's own page (issue 9: not in a second list)."""

    model = Profile
    can_delete = False
    verbose_name = verbose_name_plural = "角色与单位"
    fields = ["role", "unit"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "first_name", "email", "role", "unit", "is_active", "is_staff"]
    list_filter = ["profile__role", "profile__unit", "is_active", "is_staff"]
    list_select_related = ["profile__unit"]

    @admin.display(description="角色", ordering="profile__role")
    def role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "—"

    @admin.display(description="所属单位", ordering="profile__unit__name")
    def unit(self, obj):
        profile = getattr(obj, "profile", None)
        return (profile.unit or "—") if profile else "—"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryInline(ReadOnlyInline):
    model = TransitionLog
    fields = ["at", "transition_label", "source_state", "target_state", "effective_date", "note", "by", "reverted_by"]
    readonly_fields = fields
    verbose_name_plural = "状态变更记录（只读）"

    @admin.display(description="操作")
    def transition_label(self, obj):
        return obj.transition_label


class NodeInline(ReadOnlyInline):
    # Planned dates change through the project form (agreed vs derived); actual dates by transitions.
    model = Node
    fields = ["node_type", "planned_date", "planned_is_agreed", "actual_date", "responsible_unit"]
    readonly_fields = fields


class ProblemInline(admin.TabularInline):
    model = Problem
    extra = 0
    fields = ["category", "description", "assigned_unit", "raised_on", "reply_by", "status"]
    # The status moves by reply and resolve (projects.services), not by an edit.
    readonly_fields = ["status"]
    show_change_link = True


class ProjectAdminForm(LostUpdateFormMixin, forms.ModelForm):
    """Refuses a save from a change page loaded before someone else saved the project."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.watch_for_lost_updates()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            # The admin saves inside one transaction: the row stays locked until this save is done.
            current = Project.objects.select_for_update().get(pk=self.instance.pk)
            try:
                check_version(current, version=cleaned.get("version"), loaded=self.loaded_values())
            except EditConflict as exc:
                raise ValidationError(exc.message, code="conflict") from exc
        return cleaned


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectAdminForm
    list_display = ["code", "name", "status", "total_investment_display", "responsible_unit", "contact_leader",
                    "signing_date", "transition_link"]
    list_filter = ["status", "cluster", "source", "is_manufacturing", "currency", "responsible_unit",
                   "contact_leader", "platform"]
    search_fields = ["code", "name", "investor"]
    list_select_related = ["responsible_unit", "contact_leader"]
    date_hierarchy = "signing_date"
    readonly_fields = ["status", "signing_date", "suspended_from", "suspended_on", "status_reason",
                       "last_event_date", "created_at", "updated_at", "created_by", *compliance.REVIEW_FIELDS]
    inlines = [NodeInline, ProblemInline, HistoryInline]
    fieldsets = [
        ("项目", {"fields": ["code", "name", "investor", ("total_investment", "currency"), "is_manufacturing",
                            "cluster", "source", "channel"]}),
        ("归属", {"fields": ["platform", "responsible_unit", "contact_leader"]}),
        ("用地与统计", {"fields": ["needs_new_land", "land_area", "stats_code"]}),
        ("标准地约定指标（按亩指标须有用地面积）", {"fields": list(compliance.AGREED_FIELDS)}),
        ("达产复核（在项目页面或达产办理时登记）", {"fields": list(compliance.REVIEW_FIELDS), "classes": ["collapse"]}),
        ("状态（仅能通过「办理状态变更」修改）", {"fields": ["status", "signing_date", "suspended_from", "suspended_on",
                                             "status_reason", "last_event_date"]}),
        ("其他", {"fields": ["remark", "created_at", "updated_at", "created_by", "version"]}),
    ]

    @admin.display(description="总投资")
    def total_investment_display(self, obj):
        return obj.total_investment_display

    @admin.display(description="状态变更")
    def transition_link(self, obj):
        return format_html('<a href="{}">办理</a>', reverse("admin:projects_project_transition", args=[obj.pk]))

    def get_urls(self):
        extra = [
            path("<int:pk>/transition/", self.admin_site.admin_view(self.transition_view),
                 name="projects_project_transition"),
            path("<int:pk>/transition/<str:name>/", self.admin_site.admin_view(self.transition_view),
                 name="projects_project_transition_name"),
            path("<int:pk>/revert/", self.admin_site.admin_view(self.revert_view), name="projects_project_revert"),
        ]
        return extra + super().get_urls()

    def transition_view(self, request, pk, name=None):
        """The same short form as the project page (projects.forms.TransitionForm), one transition at
        a time; without a name, the list of transitions the current state allows."""
        project = get_object_or_404(Project, pk=pk)
        if not self.has_change_permission(request, project):
            return redirect("admin:index")
        if name is None or name not in state_transitions(project):
            choices = [(n, Transition(n).label) for n in state_transitions(project)]
            return self._form_page(request, project, None, "办理状态变更", choices=choices)
        form = TransitionForm(request.POST or None, project=project, name=name)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                project_transition(project=project, name=name, user=request.user,
                                   effective_date=data["effective_date"], note=data["note"],
                                   reason=data.get("reason", ""), fields=form.transition_fields(),
                                   expected_status=data["expected_status"] or None)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            except (TransitionConflict, ConcurrentTransition):
                form.add_error(None, TransitionConflict().message)
            else:
                messages.success(request, f"{project.code} 已{form.label}")
                return redirect("admin:projects_project_change", project.pk)
        return self._form_page(request, project, form, f"办理{form.label}")

    def revert_view(self, request, pk):
        project = get_object_or_404(Project, pk=pk)
        if not self.has_change_permission(request, project):
            return redirect("admin:index")
        revertible = last_revertible(project.history.order_by("-id"), project.status)
        form = RevertForm(request.POST or None, initial={"undoes": revertible.pk if revertible else None})
        if request.method == "POST" and form.is_valid():
            try:
                project_revert_last(project=project, user=request.user, reason=form.cleaned_data["reason"],
                                    undoes=form.cleaned_data["undoes"])
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, f"{project.code} 已撤销最近一次状态变更")
                return redirect("admin:projects_project_change", project.pk)
        title = f"撤销「{revertible.transition_label}」" if revertible else "撤销最近一次状态变更"
        return self._form_page(request, project, form, title)

    def _form_page(self, request, project, form, title, choices=()):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": project,
            "title": f"{title}：{project}",
            "form": form,
            "project": project,
            "choices": choices,
        }
        return TemplateResponse(request, "admin/projects/project/action_form.html", context)

    def save_model(self, request, obj, form, change):
        # The admin edits data, never the state; nodes follow the data (owners, land node, derived dates).
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            TransitionLog.objects.create(project=obj, transition=TransitionLog.CREATE, source_state="",
                                         target_state=obj.status, by=request.user)
        sync_nodes(project=obj)

    def has_delete_permission(self, request, obj=None):
        # A project leaves the pipeline by 终止, keeping its history; deleting would lose the audit trail.
        return request.user.is_superuser and obj is not None and not obj.history.exclude(transition="create").exists()


@admin.register(TransitionLog)
class TransitionLogAdmin(admin.ModelAdmin):
    list_display = ["project", "transition", "source_state", "target_state", "effective_date", "by", "at"]
    list_filter = ["transition", "target_state"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project", "by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InstructionInline(ReadOnlyInline):
    model = Instruction
    fields = ["at", "leader", "text", "by"]
    readonly_fields = fields
    verbose_name_plural = "领导批示（只读，更正请新增批示）"


class ReplyInline(ReadOnlyInline):
    model = ProblemReply
    fields = ["at", "replied_on", "unit", "text", "by"]
    readonly_fields = fields
    verbose_name_plural = "单位答复（只读，更正请新增答复）"


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ["project", "category", "assigned_unit", "raised_on", "reply_by", "status"]
    list_filter = ["status", "category", "assigned_unit"]
    search_fields = ["project__code", "project__name", "description"]
    list_select_related = ["project", "assigned_unit"]
    autocomplete_fields = ["project"]
    # The status and its dates move by reply and resolve (projects.services), not by an edit.
    readonly_fields = ["status", "replied_on", "resolution", "resolved_on", "raised_by"]
    inlines = [InstructionInline, ReplyInline]


@admin.register(ProgressNote)
class ProgressNoteAdmin(admin.ModelAdmin):
    list_display = ["project", "text", "unit", "by", "at"]
    list_select_related = ["project", "unit", "by"]
    search_fields = ["project__code", "text"]
