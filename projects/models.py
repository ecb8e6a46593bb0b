"""The deal, its state machine (DOMAIN.md section 2), and the organisation around it.

Transition methods set fields only. Everything with consequences elsewhere (history row, node
dates, notifications) happens in `projects.services.project_transition`, inside one transaction.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from audit.evidence import AppendOnlyModel, AppendOnlyQuerySet

from . import compliance
from .cache import VersionedQuerySet
from .validation import (
    AMOUNT_MAX,
    CODE_MAX_LENGTH,
    CODE_PATTERN,
    DATE_MAX,
    DATE_MESSAGE,
    DATE_MIN,
    LAND_AREA_MAX,
    amount_validators,
    code_validators,
    date_in_window,
    date_validators,
    in_choices,
    land_area_validators,
    line_validators,
    one_line,
    text_ok,
    text_validators,
)

# --- Reference data ----------------------------------------------------------------------------


class RobotKind(models.TextChoices):
    """Group robots (section 6) take different JSON; the kind says which."""

    DINGTALK = "dingtalk", "钉钉"
    WECOM = "wecom", "企业微信"
    FEISHU = "feishu", "飞书"


# The robots' own hosts, to catch a WeCom address saved with the DingTalk kind.
ROBOT_HOSTS = {
    "oapi.dingtalk.com": RobotKind.DINGTALK,
    "qyapi.weixin.qq.com": RobotKind.WECOM,
    "open.feishu.cn": RobotKind.FEISHU,
    "open.larksuite.com": RobotKind.FEISHU,
}


def robot_kind_of_url(url):
    """The kind a webhook address belongs to by its host, or None for a host we do not know."""
    from urllib.parse import urlsplit

    return ROBOT_HOSTS.get((urlsplit(url).hostname or "").lower()) if url else None


class GroupRobot(models.Model):
    """A group robot (群机器人) that receives its owner's notifications: a unit's, the investment
    center's (a unit) or a leader's. 加签 and 关键词 are the robots' two usual security settings."""

    webhook_url = models.URLField("群机器人 Webhook", blank=True, max_length=500)
    webhook_kind = models.CharField("机器人类型", max_length=16, choices=RobotKind.choices, default=RobotKind.DINGTALK)
    webhook_secret = models.CharField(
        "加签密钥", max_length=200, blank=True,
        help_text="机器人安全设置为「加签」时填写（钉钉为 SEC 开头的密钥）；保存后不再显示",
    )
    webhook_keyword = models.CharField(
        "自定义关键词", max_length=32, blank=True,
        help_text="机器人安全设置为「自定义关键词」时填写其中一个；每条消息都会带上它",
    )

    objects = VersionedQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        by_host = robot_kind_of_url(self.webhook_url)
        if by_host and by_host != self.webhook_kind:
            raise ValidationError({"webhook_kind": f"该地址是{RobotKind(by_host).label}机器人的地址，"
                                                   f"请把机器人类型选为「{RobotKind(by_host).label}」"})


class Unit(GroupRobot):
    """A responsible unit (责任单位)."""

    name = models.CharField("单位名称", max_length=64, unique=True, validators=line_validators)
    is_investment_center = models.BooleanField(
        "是否招商投资中心", default=False, help_text="招商中心接收全量清单与汇总"
    )
    email = models.EmailField("联系邮箱", blank=True)
    sort_order = models.PositiveIntegerField("排序", default=100)

    class Meta:
        verbose_name = verbose_name_plural = "责任单位"
        ordering = ["sort_order", "name"]
        constraints = [models.CheckConstraint(condition=one_line("name"), name="unit_name_one_line")]

    def __str__(self):
        return self.name


class Leader(GroupRobot):
    """A city leader (联系市领导); matched by name, which may be a title such as 常务副市长."""

    name = models.CharField("姓名或职务", max_length=64, unique=True, validators=line_validators)
    title = models.CharField("职务", max_length=64, blank=True, validators=line_validators)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leader",
    )
    sort_order = models.PositiveIntegerField("排序", default=100)

    class Meta:
        verbose_name = verbose_name_plural = "联系市领导"
        ordering = ["sort_order", "name"]
        constraints = [models.CheckConstraint(condition=one_line("name"), name="leader_name_one_line")]

    def __str__(self):
        return self.name


class Platform(models.Model):
    """Where a project sits (所在平台): 开发区、高新园区、高铁新城、乡镇街道 …"""

    name = models.CharField("平台名称", max_length=64, unique=True, validators=line_validators)
    unit = models.ForeignKey(
        Unit,
        verbose_name="平台管理单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="开工节点可由平台负责（见节点规则）",
    )

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "所在平台"
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=one_line("name"), name="platform_name_one_line")]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    CENTER = "center", "招商中心"
    UNIT = "unit", "责任单位"
    LEADER = "leader", "市领导"
    ADMIN = "admin", "系统管理员"


class Profile(models.Model):
    """What a login may see and do (issue 5): its role and, for unit users, its unit."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="登录账号", on_delete=models.CASCADE,
                                related_name="profile")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    unit = models.ForeignKey(Unit, verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = verbose_name_plural = "用户角色"

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"


# --- Classification (DOMAIN.md section 8) -------------------------------------------------------


class Cluster(models.TextChoices):
    NEV = "新能源汽车及零部件", "新能源汽车及零部件"
    SMART_HOME = "智能家居", "智能家居"
    EQUIPMENT = "高端装备", "高端装备"
    TEXTILE = "现代纺织", "现代纺织"
    MATERIALS = "高端新材料", "高端新材料"
    BIOMED = "生物医药与健康", "生物医药与健康"
    AEROSPACE_INFO = "空天信息", "空天信息"
    SYNTHETIC_BIO = "合成生物", "合成生物"
    FUTURE_MEDICINE = "未来医疗", "未来医疗"
    HYDROGEN_STORAGE = "氢能与新型储能", "氢能与新型储能"
    OTHER = "其他", "其他"


SIX_CLUSTERS = [Cluster.NEV, Cluster.SMART_HOME, Cluster.EQUIPMENT, Cluster.TEXTILE, Cluster.MATERIALS, Cluster.BIOMED]


class Source(models.TextChoices):
    EXTERNAL = "外引", "外引"
    LOCAL = "内生", "内生"


class Channel(models.TextChoices):
    KINSHIP = "亲情招商", "亲情招商"
    FUND = "基金招商", "基金招商"
    CHAIN = "产业链招商", "产业链招商"
    BUSINESS = "以商引商", "以商引商"
    OTHER = "其他", "其他"


class Currency(models.TextChoices):
    CNY = "CNY", "人民币"
    USD = "USD", "美元"


AMOUNT_UNIT_LABEL = {Currency.CNY: "万元", Currency.USD: "万美元"}


# --- The project and its state machine ----------------------------------------------------------


class Status(models.TextChoices):
    NEGOTIATING = "negotiating", "在谈"
    SIGNED = "signed", "已签约"
    LAND_ACQUIRED = "land_acquired", "已供地"
    STARTED = "started", "已开工"
    IN_STATISTICS = "in_statistics", "已入库"
    IN_PRODUCTION = "in_production", "已投产"
    AT_CAPACITY = "at_capacity", "已达产"
    SUSPENDED = "suspended", "已暂停"
    TERMINATED = "terminated", "已终止"


# DOMAIN.md section 4: the states in which a project has a light and all its nodes can be overdue.
ACTIVE_STATUSES = (Status.SIGNED, Status.LAND_ACQUIRED, Status.STARTED, Status.IN_STATISTICS)
# Section 10: an in-production project has a light too, from its 达产 node alone.
LIGHT_STATUSES = (*ACTIVE_STATUSES, Status.IN_PRODUCTION)
# Section 10 widens section 2: suspend also from in_production; terminate from all but terminated
# and at_capacity (a project that reached capacity has left the pipeline by the front door).
SUSPENDABLE_STATUSES = (*ACTIVE_STATUSES, Status.IN_PRODUCTION)
TERMINABLE_STATUSES = [s for s in Status.values if s not in (Status.TERMINATED, Status.AT_CAPACITY)]


class Transition(models.TextChoices):
    """The transitions of DOMAIN.md section 2; values are the method names on Project."""

    SIGN = "sign", "签约"
    ACQUIRE_LAND = "acquire_land", "供地"
    START = "start", "开工"
    ENTER_STATISTICS = "enter_statistics", "入库"
    START_PRODUCTION = "start_production", "投产"
    REACH_CAPACITY = "reach_capacity", "达产"
    SUSPEND = "suspend", "暂停"
    RESUME = "resume", "恢复"
    TERMINATE = "terminate", "终止"


def _sign_ready(project):
    return not project.sign_problems()


def _land_ready(project):
    return not project.land_problems()


def _start_ready(project):
    return project.status == Status.LAND_ACQUIRED or not project.needs_new_land


def _statistics_ready(project):
    return bool(project.stats_code.strip())


def _capacity_ready(project):
    return not compliance.capacity_review_problems(project.__dict__)


def _resume_target(project, **kwargs):
    # django-fsm asks for the target after the body ran, and the body clears `suspended_from`.
    return getattr(project, "_resume_to", project.suspended_from)


def _positive(value):
    if value is not None and value <= 0:
        raise ValidationError("约定指标必须大于 0")


def _not_negative(value):
    if value is not None and value < 0:
        raise ValidationError("复核数值不能为负数")


def _indicator_field(label, *, agreed=False):
    return models.DecimalField(label, max_digits=18, decimal_places=4, null=True, blank=True,
                               validators=[_positive if agreed else _not_negative])


def _indicator_constraints():
    """Section 10 behind the validation: agreed indicators > 0, recorded values ≥ 0, and per-亩
    indicators only with a land area."""
    constraints = [
        models.CheckConstraint(condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gt": 0}),
                               name=f"project_{name}_positive")
        for name in compliance.AGREED_FIELDS
    ]
    constraints += [
        models.CheckConstraint(condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}),
                               name=f"project_{name}_not_negative")
        for name in compliance.ACTUAL_FIELDS
    ]
    no_per_mu = Q(**{f"{name}__isnull": True for name in compliance.PER_MU_AGREED_FIELDS})
    # A NULL land area makes "land_area > 0" unknown, which a CHECK lets pass: say NOT NULL too.
    with_area = Q(land_area__isnull=False, land_area__gt=0)
    constraints.append(models.CheckConstraint(condition=no_per_mu | with_area,
                                              name="project_per_mu_indicators_need_land_area"))
    return constraints


class Project(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    code = models.CharField("项目编号", max_length=CODE_MAX_LENGTH, unique=True, validators=code_validators,
                            help_text="英文字母、数字、“-”和“_”")
    name = models.CharField("项目名称", max_length=200, validators=line_validators)
    investor = models.CharField("投资方", max_length=200, validators=line_validators)
    # Amounts are stored in 万 of their own currency; no exchange rate is ever applied (section 5).
    total_investment = models.DecimalField("总投资（万）", max_digits=18, decimal_places=4, null=True, blank=True,
                                           validators=amount_validators)
    currency = models.CharField("币种", max_length=3, choices=Currency.choices, default=Currency.CNY)
    is_manufacturing = models.BooleanField("是否制造业", null=True, blank=True)
    cluster = models.CharField("产业集群", max_length=16, choices=Cluster.choices, blank=True)
    source = models.CharField("项目来源", max_length=4, choices=Source.choices, blank=True)
    channel = models.CharField("招商方式", max_length=8, choices=Channel.choices, blank=True)
    platform = models.ForeignKey(
        Platform, verbose_name="所在平台", null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    responsible_unit = models.ForeignKey(
        Unit, verbose_name="责任单位", null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    contact_leader = models.ForeignKey(
        Leader, verbose_name="联系市领导", null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    needs_new_land = models.BooleanField("是否需新供地", default=True)
    land_area = models.DecimalField("用地面积（亩）", max_digits=12, decimal_places=2, null=True, blank=True,
                                    validators=land_area_validators)
    # Indexed with the code as the list's order (Meta.indexes), which serves date ranges as well.
    signing_date = models.DateField("签约日期", null=True, blank=True, validators=date_validators)
    stats_code = models.CharField("统计库项目代码", max_length=64, blank=True, validators=line_validators)
    remark = models.TextField("备注", blank=True, validators=text_validators)

    # 标准地 agreed indicators (section 10), optional, agreed at signing or later.
    agreed_investment_intensity = _indicator_field("约定投资强度（万元/亩）", agreed=True)
    agreed_tax_per_mu = _indicator_field("约定亩均税收（万元/亩·年）", agreed=True)
    agreed_output_per_mu = _indicator_field("约定亩均产值（万元/亩·年）", agreed=True)
    agreed_plot_ratio = _indicator_field("约定容积率", agreed=True)
    agreed_energy_per_output = _indicator_field("约定单位能耗（吨标煤/万元）", agreed=True)
    # What the 达产复核 found; the per-亩 figures are computed from these and the land area.
    actual_fixed_investment = _indicator_field("固定资产投资（万元）")
    actual_yearly_tax = _indicator_field("年税收（万元）")
    actual_yearly_output = _indicator_field("年产值（万元）")
    actual_plot_ratio = _indicator_field("实际容积率")
    actual_energy_per_output = _indicator_field("实际单位能耗（吨标煤/万元）")
    capacity_reviewed_on = models.DateField("达产复核日期", null=True, blank=True)

    status = FSMField(
        "状态", default=Status.NEGOTIATING, choices=Status.choices, protected=True, db_index=True
    )
    # The state a suspended project returns to on resume (section 2).
    suspended_from = models.CharField("暂停前状态", max_length=16, choices=Status.choices, blank=True)
    suspended_on = models.DateField("暂停日期", null=True, blank=True, validators=date_validators)
    status_reason = models.TextField("暂停或终止原因", blank=True, validators=text_validators)
    # The effective date of the latest transition: no later event may be dated before it.
    last_event_date = models.DateField("最近节点日期", null=True, blank=True, validators=date_validators)
    # Section 4's light needs only the earliest planned date among the nodes that can be late (every
    # pending node of an active project, the 达产 node of one in production): kept here, by
    # milestones.services in the transaction that changes a node or the state, so that a light, the
    # red filter and the overdue order are a comparison with the as-of date on an indexed column
    # instead of a subquery per project (issue 12: 83,297 subquery runs for one red filter).
    # NULL when nothing can be late (no light, or no pending planned date).
    next_due = models.DateField("最早待办计划日期", null=True, blank=True, editable=False)

    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "项目"
        ordering = ["-signing_date", "code"]
        indexes = [
            models.Index(fields=["next_due"], name="project_next_due"),
            # The 台账's and the API's order: a page is an index range, without sorting 100,000 rows.
            models.Index(fields=["-signing_date", "code"], name="project_list_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_investment__isnull=True) | Q(total_investment__gt=0),
                name="project_total_investment_positive",
            ),
            *_indicator_constraints(),
            # docs/DOMAIN.md section 12, the same rules as the fields' validators (projects.validation).
            models.CheckConstraint(condition=Q(code__regex=CODE_PATTERN), name="project_code_format"),
            models.CheckConstraint(condition=one_line("name") & one_line("investor") & one_line("stats_code"),
                                   name="project_text_one_line"),
            models.CheckConstraint(condition=text_ok("remark") & text_ok("status_reason"), name="project_text_ok"),
            models.CheckConstraint(condition=in_choices("currency", Currency), name="project_currency_valid"),
            models.CheckConstraint(condition=in_choices("cluster", Cluster, blank=True), name="project_cluster_valid"),
            models.CheckConstraint(condition=in_choices("source", Source, blank=True), name="project_source_valid"),
            models.CheckConstraint(condition=in_choices("channel", Channel, blank=True), name="project_channel_valid"),
            models.CheckConstraint(condition=in_choices("status", Status), name="project_status_valid"),
            models.CheckConstraint(condition=in_choices("suspended_from", Status, blank=True),
                                   name="project_suspended_from_valid"),
            models.CheckConstraint(condition=Q(total_investment__isnull=True) | Q(total_investment__lte=AMOUNT_MAX),
                                   name="project_total_investment_sane"),
            models.CheckConstraint(
                condition=Q(land_area__isnull=True) | Q(land_area__gte=0, land_area__lte=LAND_AREA_MAX),
                name="project_land_area_sane",
            ),
            models.CheckConstraint(
                condition=date_in_window("signing_date") & date_in_window("suspended_on")
                & date_in_window("last_event_date"),
                name="project_dates_in_window",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    # --- derived ---------------------------------------------------------------------------------

    @property
    def amount_unit(self):
        return AMOUNT_UNIT_LABEL[self.currency]

    @property
    def total_investment_display(self):
        if self.total_investment is None:
            return ""
        return f"{self.total_investment.normalize():f}{self.amount_unit}"

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    def clean(self):
        problems = compliance.per_mu_agreement_problems(self.__dict__)
        if problems:
            raise ValidationError({"land_area": problems})

    @property
    def has_agreement(self):
        return compliance.has_agreement(self.__dict__)

    def compliance_check(self, as_of=None):
        """Section 10: the agreed indicators judged against the 达产复核 values."""
        return compliance.evaluate(self.__dict__, as_of=as_of)

    # --- guards: each returns the Chinese reasons a transition is refused ------------------------

    def sign_problems(self):
        missing = [
            label
            for label, ok in (
                ("项目编号", bool(self.code)),
                ("项目名称", bool(self.name)),
                ("投资方", bool(self.investor)),
                ("总投资", self.total_investment is not None),
                ("计量单位", bool(self.currency)),
                ("产业集群", bool(self.cluster)),
                ("是否制造业", self.is_manufacturing is not None),
                ("责任单位", self.responsible_unit_id is not None),
            )
            if not ok
        ]
        problems = [f"签约前须填写：{'、'.join(missing)}"] if missing else []
        if self.total_investment is not None and self.total_investment <= 0:
            problems.append("总投资必须大于 0")
        return problems

    def land_problems(self):
        if not self.needs_new_land:
            return ["该项目无需新供地（零土地技改或租赁厂房），不能办理供地"]
        if self.land_area is None or self.land_area <= Decimal(0):
            return ["供地前须填写大于 0 的用地面积（亩）"]
        return []

    def transition_problems(self, name, *, effective_date, reason="", today=None):
        """Every reason `name` may not happen now, in Chinese (section 2). Empty means allowed."""
        label = Transition(name).label
        method = getattr(self, name)
        allowed_from = method._django_fsm.transitions
        if self.status not in allowed_from and "*" not in allowed_from:
            return [f"项目当前为「{self.get_status_display()}」，不能办理{label}"]
        problems = []
        if name == Transition.SIGN:
            problems += self.sign_problems()
        elif name == Transition.ACQUIRE_LAND:
            problems += self.land_problems()
        elif name == Transition.START and not _start_ready(self):
            problems.append("需新供地的项目须先完成供地，才能开工")
        elif name == Transition.ENTER_STATISTICS and not _statistics_ready(self):
            problems.append("入库前须填写统计库项目代码")
        elif name == Transition.REACH_CAPACITY:
            problems += compliance.capacity_review_problems(self.__dict__)
        elif name in (Transition.SUSPEND, Transition.TERMINATE) and not reason.strip():
            problems.append(f"{label}须填写原因")
        problems += self.date_problems(effective_date, label=label, today=today)
        return problems

    def date_problems(self, effective_date, *, label, today=None):
        if effective_date is None:
            return [f"请填写{label}的实际日期"]
        if not DATE_MIN <= effective_date <= DATE_MAX:
            return [f"{label}{DATE_MESSAGE}"]
        today = today or local_today()
        problems = []
        if effective_date > today:
            problems.append(f"{label}日期 {effective_date:%Y-%m-%d} 不能晚于今天（{today:%Y-%m-%d}）")
        if self.last_event_date and effective_date < self.last_event_date:
            problems.append(
                f"{label}日期 {effective_date:%Y-%m-%d} 不能早于上一节点日期 {self.last_event_date:%Y-%m-%d}"
            )
        return problems

    # --- transitions (bodies set fields only) -----------------------------------------------------

    @transition(field=status, source=Status.NEGOTIATING, target=Status.SIGNED, conditions=[_sign_ready])
    def sign(self, *, effective_date, **kwargs):
        self.signing_date = effective_date
        self.last_event_date = effective_date

    @transition(field=status, source=Status.SIGNED, target=Status.LAND_ACQUIRED, conditions=[_land_ready])
    def acquire_land(self, *, effective_date, **kwargs):
        self.last_event_date = effective_date

    @transition(
        field=status, source=[Status.SIGNED, Status.LAND_ACQUIRED], target=Status.STARTED, conditions=[_start_ready]
    )
    def start(self, *, effective_date, **kwargs):
        self.last_event_date = effective_date

    @transition(
        field=status, source=Status.STARTED, target=Status.IN_STATISTICS, conditions=[_statistics_ready]
    )
    def enter_statistics(self, *, effective_date, **kwargs):
        self.last_event_date = effective_date

    @transition(field=status, source=Status.IN_STATISTICS, target=Status.IN_PRODUCTION)
    def start_production(self, *, effective_date, **kwargs):
        self.last_event_date = effective_date

    @transition(field=status, source=Status.IN_PRODUCTION, target=Status.AT_CAPACITY,
                conditions=[_capacity_ready])
    def reach_capacity(self, *, effective_date, **kwargs):
        # Values given with the transition are its 达产复核, dated with it unless dated before.
        if self.capacity_reviewed_on is None and any(
            getattr(self, name) is not None for name in compliance.ACTUAL_FIELDS
        ):
            self.capacity_reviewed_on = effective_date
        self.last_event_date = effective_date

    @transition(field=status, source=list(SUSPENDABLE_STATUSES), target=Status.SUSPENDED)
    def suspend(self, *, effective_date, reason, **kwargs):
        self.suspended_from = self.status
        self.suspended_on = effective_date
        self.status_reason = reason
        self.last_event_date = effective_date

    @transition(
        field=status,
        source=Status.SUSPENDED,
        target=GET_STATE(_resume_target, states=list(SUSPENDABLE_STATUSES)),
    )
    def resume(self, *, effective_date, **kwargs):
        self._resume_to = self.suspended_from
        self.suspended_from = ""
        self.suspended_on = None
        self.status_reason = ""
        self.last_event_date = effective_date

    @transition(field=status, source=TERMINABLE_STATUSES, target=Status.TERMINATED)
    def terminate(self, *, effective_date, reason, **kwargs):
        self.status_reason = reason
        self.last_event_date = effective_date


def local_today():
    """Today in Asia/Shanghai, whatever the server's clock zone (section 4's default as-of date)."""
    from django.utils import timezone

    return timezone.localdate()


class TransitionLog(AppendOnlyModel):
    """The audited history of a project's state (section 2). Rows are only ever added (evidence,
    audit.evidence): a correction adds a `revert` row and marks the undone row `reverted_by`, once.
    django-fsm-log's StateLog has no effective date and no snapshot to revert from, so the history
    is kept here, written by the service in the transition's own transaction.
    """

    REVERT = "revert"
    CREATE = "create"

    # No index of its own: (project, -id) below serves every lookup by project.
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="history", db_index=False)
    transition = models.CharField("操作", max_length=20)
    source_state = models.CharField("原状态", max_length=16, choices=Status.choices, blank=True)
    target_state = models.CharField("新状态", max_length=16, choices=Status.choices)
    effective_date = models.DateField("发生日期", null=True, blank=True)
    note = models.TextField("说明", blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("录入时间", auto_now_add=True)
    # Field values before the transition, so that a revert restores exactly what was there.
    previous_values = models.JSONField(default=dict, blank=True)
    reverted_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reverts"
    )

    append_only_fill = ("reverted_by",)
    append_only_clear = ("by",)
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "状态变更记录"
        ordering = ["project", "at", "id"]
        indexes = [models.Index(fields=["project", "-id"])]

    def __str__(self):
        return f"{self.project.code} {self.transition_label} {self.effective_date or ''}"

    @property
    def transition_label(self):
        if self.transition == self.REVERT:
            return "撤销更正"
        if self.transition == self.CREATE:
            return "录入"
        return Transition(self.transition).label


def last_revertible(history, status):
    """Section 2's correction undoes the latest transition: the newest history row that is a
    transition not yet reverted, provided the project is still in the state it led to.
    `history` is the project's rows, newest first."""
    for log in history:
        if log.transition in (TransitionLog.CREATE, TransitionLog.REVERT) or log.reverted_by_id is not None:
            continue
        return log if log.target_state == status else None
    return None


class ProgressNote(models.Model):
    """A dated note on how a project is going (进展情况)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="progress_notes")
    text = models.TextField("进展情况", validators=text_validators)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name="单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "项目进展"
        ordering = ["-at"]


# --- Problems (DOMAIN.md section 7) ------------------------------------------------------------


class ProblemCategory(models.TextChoices):
    LAND = "land", "土地"
    ENERGY = "energy", "能耗"
    FUNDING = "funding", "资金"
    APPROVAL = "approval", "审批"
    OTHER = "other", "其他"


class ProblemStatus(models.TextChoices):
    OPEN = "open", "待答复"
    REPLIED = "replied", "已答复"
    RESOLVED = "resolved", "已解决"


PROBLEM_REPLY_DAYS = 7  # section 7: reply-by defaults to 7 days after the problem is raised
PROBLEM_STALE_DAYS = 14  # section 7: open problems older than 14 days go into the alert and bulletin


def problem_reply_overdue_q(as_of) -> Q:
    """Section 7: a problem past its reply-by date without a reply is overdue."""
    return Q(status=ProblemStatus.OPEN, replied_on__isnull=True, reply_by__lt=as_of)


def problem_stale_q(as_of) -> Q:
    """Section 7: open problems older than 14 days. "Open" is read as not yet resolved: a problem the
    unit has answered but not solved still blocks the project, and leaders want to see it."""
    return ~Q(status=ProblemStatus.RESOLVED) & Q(raised_on__lt=as_of - datetime.timedelta(days=PROBLEM_STALE_DAYS))


class Problem(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="problems")
    category = models.CharField("类别", max_length=16, choices=ProblemCategory.choices)
    description = models.TextField("问题描述", validators=text_validators)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提出人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    raised_on = models.DateField("提出日期", validators=date_validators)
    assigned_unit = models.ForeignKey(
        Unit, verbose_name="交办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    reply_by = models.DateField("答复期限", validators=date_validators)
    status = models.CharField("状态", max_length=16, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    # The first reply's date: whether the unit answered in time (section 7). The replies themselves
    # are ProblemReply rows, each kept.
    replied_on = models.DateField("首次答复日期", null=True, blank=True, validators=date_validators)
    resolution = models.TextField("解决情况", blank=True, validators=text_validators)
    resolved_on = models.DateField("解决日期", null=True, blank=True, validators=date_validators)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "问题协调"
        ordering = ["-raised_on", "-id"]
        indexes = [
            models.Index(fields=["reply_by"], name="problem_open_reply_by", condition=Q(status="open")),
        ]
        constraints = [
            models.CheckConstraint(condition=in_choices("category", ProblemCategory), name="problem_category_valid"),
            models.CheckConstraint(condition=in_choices("status", ProblemStatus), name="problem_status_valid"),
            models.CheckConstraint(
                condition=date_in_window("raised_on") & date_in_window("reply_by") & date_in_window("replied_on")
                & date_in_window("resolved_on"),
                name="problem_dates_in_window",
            ),
            models.CheckConstraint(condition=text_ok("description") & text_ok("resolution"),
                                   name="problem_text_ok"),
        ]

    def __str__(self):
        return f"{self.project.code} {self.get_category_display()}：{self.description[:20]}"

    def is_reply_overdue(self, as_of):
        """Section 7: past its reply-by date without a reply."""
        return self.replied_on is None and self.status == ProblemStatus.OPEN and self.reply_by < as_of


class ProblemReply(AppendOnlyModel):
    """A unit's reply to a problem (section 7). Every reply is kept, in time order: a second reply
    is a new row, never an edit of the first (evidence, audit.evidence)."""

    problem = models.ForeignKey(Problem, verbose_name="问题", on_delete=models.PROTECT, related_name="replies")
    text = models.TextField("答复内容", validators=text_validators)
    unit = models.ForeignKey(
        Unit, verbose_name="答复单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    replied_on = models.DateField("答复日期", validators=date_validators)
    at = models.DateTimeField("录入时间", auto_now_add=True)

    append_only_clear = ("by",)
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "问题答复"
        ordering = ["problem", "at", "id"]
        constraints = [
            models.CheckConstraint(condition=text_ok("text") & date_in_window("replied_on"), name="problem_reply_ok"),
        ]

    def __str__(self):
        return f"{self.problem_id}·答复 {self.replied_on:%Y-%m-%d}"


class Instruction(AppendOnlyModel):
    """A city leader's instruction (批示) on a problem; evidence, only ever added (audit.evidence)."""

    problem = models.ForeignKey(Problem, verbose_name="问题", on_delete=models.PROTECT, related_name="instructions")
    leader = models.ForeignKey(Leader, verbose_name="市领导", on_delete=models.PROTECT, related_name="instructions")
    text = models.TextField("批示内容", validators=text_validators)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    append_only_clear = ("by",)
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "领导批示"
        ordering = ["at"]

    def __str__(self):
        return f"批示：{self.text[:20]}"


# --- Section 5's levels: the smallest investment that makes a project 亿元以上 or 10亿元以上 ----------

class Level(models.TextChoices):
    """The two yearly goals: 亿元以上 (100m) and 10亿元以上 (1b)."""

    HUNDRED_MILLION = "100m", "亿元以上制造业项目"
    BILLION = "1b", "10亿元以上制造业项目"


LEVELS = [Level.HUNDRED_MILLION, Level.BILLION]


class Threshold(models.Model):
    """The smallest total investment (in 万 of its own currency) that counts for a level.

    One row per (level, currency): amounts are compared in their own currency, never converted.
    """

    level = models.CharField("目标类别", max_length=8, choices=Level.choices)
    currency = models.CharField("币种", max_length=3, choices=Currency.choices)
    min_amount = models.DecimalField(
        "总投资下限（万）", max_digits=18, decimal_places=4, validators=[MinValueValidator(0)],
        help_text="总投资大于或等于该值即计入（单位：万元或万美元，按项目币种）",
    )

    objects = VersionedQuerySet.as_manager()

    class Meta:
        # Created by reports' first migration; moved here with its table (issue 9 section 7).
        db_table = "reports_threshold"
        verbose_name = verbose_name_plural = "计入门槛"
        ordering = ["level", "currency"]
        constraints = [models.UniqueConstraint(fields=["level", "currency"], name="threshold_one_per_level_currency")]

    def __str__(self):
        return f"{self.get_level_display()}：≥{self.min_amount.normalize():f}{AMOUNT_UNIT_LABEL[self.currency]}"
