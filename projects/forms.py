"""Forms of the pages, and the list filter shared by the 台账 page and GET /api/projects/.

Forms only parse input; every rule is checked by projects.services (full_clean, the guards) and
its Chinese messages are put back on the form by the view.
"""

import django_filters
from django import forms
from django.db.models import F, Q

from milestones.models import FactorType, NodeType
from milestones.selectors import light_q, most_overdue_first

from . import compliance
from .cache import cached, query_key
from .levels import level_q, load_thresholds
from .models import (
    Cluster,
    Leader,
    Platform,
    Problem,
    ProblemCategory,
    Project,
    Status,
    Transition,
    Unit,
    local_today,
)
from .services import TRANSITION_FIELDS, project_version
from .validation import DATE_MAX, DATE_MIN, TEXT_MAX_LENGTH

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LIGHT_CHOICES = [("red", "红灯"), ("yellow", "黄灯"), ("green", "绿灯")]
# Section 5's levels; their thresholds are data (projects.levels), read when filtering.
AMOUNT_CHOICES = [("100m", "亿元以上（或1000万美元）"), ("1b", "10亿元以上（或1亿美元）")]


def plain_decimal(value):
    return None if value is None else f"{value.normalize():f}"


EMPTY_LABEL = "（未填写）"


def one_placeholder(form, empty_label=EMPTY_LABEL):
    """Every select of a form offers the same empty choice (issue 9: "---------", "未知" and
    "（未填写）" were mixed on one page)."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.empty_label = empty_label
        elif isinstance(field, forms.NullBooleanField):
            field.widget.choices = [("unknown", empty_label), ("true", "是"), ("false", "否")]
        elif isinstance(field, forms.ChoiceField):
            field.choices = [(value, empty_label if value == "" else label) for value, label in field.choices]


class NullsLastOrdering(django_filters.OrderingFilter):
    """Empty values (no light, no amount yet) sort last both ways, on PostgreSQL as on SQLite."""

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        name = value.lstrip("-")
        if value == "-max_overdue_days":
            # Most overdue first is the earliest pending date first: a scan of its index (issue 12).
            return most_overdue_first()
        return F(name).desc(nulls_last=True) if value.startswith("-") else F(name).asc(nulls_last=True)


class YearFilter(django_filters.NumberFilter):
    """A whole year within the date window: `?year=1e5` or `99999` would overflow the year lookup."""

    field_class = forms.IntegerField


class ReferenceChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """The options of a small reference table (units, leaders, platforms) read once per version of
    the data (projects.cache), not on every page that shows the filter (issue 12)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for row in self._rows():
            yield self.choice(row)

    def __len__(self):
        return len(self._rows()) + (self.field.empty_label is not None) + (self.field.null_label is not None)

    def _rows(self):
        queryset = self.queryset
        # A whole table in its default order is named by its model; anything narrower by its query.
        plain = not queryset.query.where and not queryset.query.order_by and not queryset.query.is_sliced
        return cached("choices", [queryset.model._meta.label if plain else query_key(queryset)], lambda: list(queryset))


class ReferenceChoiceField(django_filters.fields.ModelChoiceField):
    iterator = ReferenceChoiceIterator


class ReferenceFilter(django_filters.ModelChoiceFilter):
    field_class = ReferenceChoiceField


class ProjectFilter(django_filters.FilterSet):
    """The 台账 filters. The queryset given must already carry `light` (milestones.annotate_light)
    as of `as_of` (today unless given)."""

    q = django_filters.CharFilter(method="filter_search", label="搜索")
    status = django_filters.ChoiceFilter(choices=Status.choices, label="状态", empty_label="全部状态")
    light = django_filters.ChoiceFilter(choices=LIGHT_CHOICES, method="filter_light", label="红黄绿灯",
                                        empty_label="全部灯色")
    cluster = django_filters.ChoiceFilter(choices=Cluster.choices, label="产业集群", empty_label="全部集群")
    unit = ReferenceFilter(field_name="responsible_unit", queryset=Unit.objects.all(), label="责任单位",
                           empty_label="全部单位")
    leader = ReferenceFilter(field_name="contact_leader", queryset=Leader.objects.all(), label="联系市领导",
                             empty_label="全部领导")
    platform = ReferenceFilter(queryset=Platform.objects.all(), label="所在平台", empty_label="全部平台")
    year = YearFilter(field_name="signing_date", lookup_expr="year", label="签约年份",
                      min_value=DATE_MIN.year, max_value=DATE_MAX.year)
    amount = django_filters.ChoiceFilter(choices=AMOUNT_CHOICES,
                                         method="filter_amount", label="投资规模", empty_label="全部规模")
    ordering = NullsLastOrdering(
        fields=(
            ("signing_date", "signing_date"),
            ("code", "code"),
            ("name", "name"),
            ("total_investment", "total_investment"),
            ("status", "status"),
            ("max_overdue_days", "overdue"),
        ),
        field_labels={
            "signing_date": "签约日期", "-signing_date": "签约日期（最新）", "code": "项目编号",
            "-code": "项目编号（倒序）", "name": "项目名称", "-name": "项目名称（倒序）",
            "total_investment": "总投资（从小到大）", "-total_investment": "总投资（从大到小）",
            "status": "状态", "-status": "状态（倒序）", "overdue": "逾期天数（从少到多）",
            "-overdue": "逾期天数（从多到少）",
        },
        label="排序",
        empty_label="默认排序",
    )

    class Meta:
        model = Project
        fields: list = []

    def __init__(self, *args, as_of=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.as_of = as_of

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(investor__icontains=value))

    def filter_light(self, queryset, name, value):
        # The same rule as the `light` annotation, written as a range on the indexed next_due.
        return queryset.filter(light_q(value, as_of=self.as_of or local_today()))

    def filter_amount(self, queryset, name, value):
        return queryset.filter(level_q(load_thresholds().get(value, {})))


class LostUpdateFormMixin:
    """For a project's edit forms (the page and the admin): the version loaded and each value as
    shown (Django's hidden initial inputs) travel with the form, so that a save from a stale form
    is refused with what the other person changed (services.check_version)."""

    PLANNED: dict = {}  # planned-date fields, by node type

    def watch_for_lost_updates(self):
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput, initial=project_version(self.instance),
            error_messages={"required": "页面已过期，请刷新后重新编辑", "invalid": "页面已过期，请刷新后重新编辑"},
        )
        for name in self._watched():
            self.fields[name].show_hidden_initial = True

    def _watched(self):
        return [name for name, field in self.fields.items()
                if name != "version" and not field.disabled and not isinstance(field.widget, forms.HiddenInput)]

    def loaded_values(self):
        """What the editor was shown, by project field name and planned dates by node type."""
        values = {}
        for name in self._watched():
            field = self.fields[name]
            raw = self._widget_data_value(field.hidden_widget(), self[name].html_initial_name)
            try:
                value = field.to_python(raw)
            except forms.ValidationError:
                continue
            values[self.PLANNED.get(name, name)] = value
        return values


class ProjectForm(LostUpdateFormMixin, forms.ModelForm):
    """New deal and edit. A signing date on a new deal signs it through the sign guard (the service)."""

    signing_date = forms.DateField(label="签约日期", required=False, widget=DATE_INPUT,
                                   help_text="填写即办理签约（须满足签约条件）；不填则为在谈项目")
    planned_land = forms.DateField(label="计划供地日期", required=False, widget=DATE_INPUT)
    planned_start = forms.DateField(label="计划开工日期", required=False, widget=DATE_INPUT)
    planned_statistics = forms.DateField(label="计划入库日期", required=False, widget=DATE_INPUT)
    planned_production = forms.DateField(label="计划投产日期", required=False, widget=DATE_INPUT)
    planned_capacity = forms.DateField(label="计划达产日期", required=False, widget=DATE_INPUT)

    PLANNED = {
        "planned_land": NodeType.LAND,
        "planned_start": NodeType.START,
        "planned_statistics": NodeType.STATISTICS,
        "planned_production": NodeType.PRODUCTION,
        "planned_capacity": NodeType.CAPACITY,
    }

    class Meta:
        model = Project
        fields = [
            "code", "name", "investor", "total_investment", "currency", "is_manufacturing", "cluster", "source",
            "channel", "platform", "responsible_unit", "contact_leader", "needs_new_land", "land_area",
            "stats_code", "remark", *compliance.AGREED_FIELDS,
        ]
        widgets = {
            "remark": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"total_investment": "总投资（万元或万美元，按币种）", "needs_new_land": "需新供地（零土地技改、租赁厂房不勾选）"}

    def __init__(self, *args, editing=False, planned=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        one_placeholder(self)
        for name in ("total_investment", *compliance.AGREED_FIELDS):
            # 120000.0000 → 120000: the stored scale is not what people typed.
            self.initial[name] = plain_decimal(getattr(self.instance, name))
        if editing:
            # The signing date moves only by the sign transition (and its revert).
            del self.fields["signing_date"]
            self.fields["code"].disabled = True
            self.watch_for_lost_updates()
        for name, node_type in self.PLANNED.items():
            if planned and planned.get(node_type):
                self.fields[name].initial = planned[node_type]

    def rebased(self, project, planned):
        """This form again, based on the stored `project`: what this editor changed is kept, every
        other field takes the other person's value, so saving once more loses neither change."""
        current = ProjectForm(instance=project, editing=True, planned=planned)
        data = self.data.copy()
        data["version"] = project_version(project)
        for name in self._watched():
            value = current[name].value()
            text = "" if value is None else str(value)
            data[current[name].html_initial_name] = text
            if self[name]._has_changed():
                continue
            if isinstance(self.fields[name].widget, forms.CheckboxInput):  # absent means False
                data.pop(name, None)
                if value:
                    data[name] = "on"
            else:
                data[name] = text
        return ProjectForm(data, instance=project, editing=True, planned=planned)

    def planned_dates(self):
        """Agreed planned dates as {node_type: date}; only the ones filled in (others derived)."""
        return {node: self.cleaned_data[name] for name, node in self.PLANNED.items() if self.cleaned_data.get(name)}

    def project_data(self):
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data
                and not self.fields[name].disabled}

    def _post_clean(self):
        # Model validation runs in the service (full_clean + the sign guard), once, for the page,
        # the API and the import alike.
        pass


class TransitionForm(forms.Form):
    """The short form behind a transition button: the effective date, the fields the step needs, a note."""

    effective_date = forms.DateField(label="实际日期", widget=DATE_INPUT)
    reason = forms.CharField(label="原因", required=False, max_length=TEXT_MAX_LENGTH,
                             widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label="备注", required=False, max_length=TEXT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}))
    expected_status = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, project, name, **kwargs):
        kwargs.setdefault("prefix", name)
        super().__init__(*args, **kwargs)
        self.project = project
        self.name = name
        self.label = Transition(name).label
        if name not in (Transition.SUSPEND, Transition.TERMINATE):
            del self.fields["reason"]
        extra = forms.fields_for_model(Project, fields=sorted(TRANSITION_FIELDS.get(name, ())))
        for field_name, field in extra.items():
            field.required = False
            field.initial = getattr(project, field_name + ("_id" if field_name == "responsible_unit" else ""))
            self.fields[field_name] = field
        self.fields["expected_status"].initial = project.status
        if name == Transition.ENTER_STATISTICS:
            # The guard refuses 入库 without it (section 2): say so on the form, not only after.
            self.fields["stats_code"].required = True
        one_placeholder(self)
        # The date first, then what this step needs, then the free text.
        self.order_fields(["effective_date", *sorted(extra), "reason", "note"])

    def transition_fields(self):
        return {name: self.cleaned_data[name] for name in TRANSITION_FIELDS.get(self.name, ())
                if name in self.cleaned_data}


class CapacityReviewForm(forms.Form):
    """达产复核 (section 10): the five recorded values and the review's date; blank = not recorded."""

    reviewed_on = forms.DateField(label="复核日期", widget=DATE_INPUT)

    def __init__(self, *args, project, **kwargs):
        kwargs.setdefault("prefix", "review")
        super().__init__(*args, **kwargs)
        for name, field in forms.fields_for_model(Project, fields=compliance.ACTUAL_FIELDS).items():
            field.required = False
            field.initial = plain_decimal(getattr(project, name))
            self.fields[name] = field
        self.fields["reviewed_on"].initial = project.capacity_reviewed_on

    def values(self):
        return {name: self.cleaned_data.get(name) for name in compliance.ACTUAL_FIELDS}


class RevertForm(forms.Form):
    reason = forms.CharField(label="撤销原因", widget=forms.Textarea(attrs={"rows": 2}))
    # The history row being undone, as the user saw it (services.project_revert_last's `undoes`).
    undoes = forms.IntegerField(widget=forms.HiddenInput, error_messages={
        "required": "页面缺少要撤销的状态变更，请刷新后重试", "invalid": "页面缺少要撤销的状态变更，请刷新后重试"})


class NoteForm(forms.Form):
    text = forms.CharField(label="进展情况", widget=forms.Textarea(attrs={"rows": 3}))


class ProblemForm(forms.ModelForm):
    class Meta:
        model = Problem
        fields = ["category", "description", "assigned_unit", "reply_by"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "reply_by": DATE_INPUT}
        labels = {"assigned_unit": "交办单位（默认项目责任单位）", "reply_by": "答复期限（默认 7 天）"}

    def __init__(self, *args, can_assign=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = ProblemCategory.choices
        self.fields["reply_by"].required = False
        one_placeholder(self, "（默认项目责任单位）")
        if not can_assign:
            del self.fields["assigned_unit"]
            del self.fields["reply_by"]

    def _post_clean(self):
        pass  # validated by projects.services.problem_raise


class AssignForm(forms.Form):
    unit = forms.ModelChoiceField(label="交办单位", queryset=Unit.objects.all())
    reply_by = forms.DateField(label="答复期限", widget=DATE_INPUT)


class ReplyForm(forms.Form):
    reply = forms.CharField(label="答复内容", widget=forms.Textarea(attrs={"rows": 3}))


class InstructForm(forms.Form):
    text = forms.CharField(label="批示内容", widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    resolution = forms.CharField(label="解决情况", widget=forms.Textarea(attrs={"rows": 3}))


# --- 要素保障 (DOMAIN.md section 11) -------------------------------------------------------------


class FactorNeedForm(forms.Form):
    """The center states what a project needs (a second entry for the same type changes it)."""

    code = forms.CharField(label="项目编号", max_length=32)
    factor_type = forms.ChoiceField(label="要素类型", choices=FactorType.choices)
    needed = forms.DecimalField(label="需求量", max_digits=18, decimal_places=4, min_value=0)
    needed_by = forms.DateField(label="需保障日期", required=False, help_text="不填则跟随对应节点的计划日期",
                                widget=forms.DateInput(attrs={"type": "date"}))


class FactorSecuredForm(forms.Form):
    amount = forms.DecimalField(label="本次保障量", max_digits=18, decimal_places=4)
    secured_on = forms.DateField(label="保障日期", widget=forms.DateInput(attrs={"type": "date"}))
    document = forms.CharField(label="依据文件", max_length=200)


class FactorNeededByForm(forms.Form):
    needed_by = forms.DateField(label="需保障日期", required=False, help_text="清空则跟随对应节点的计划日期",
                                widget=forms.DateInput(attrs={"type": "date"}))
