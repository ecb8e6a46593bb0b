"""Key nodes (关键节点) and the data that drives their dates (DOMAIN.md sections 3 and 6)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.cache import VersionedQuerySet
from projects.models import Problem, Project, Unit
from projects.validation import NODE_DATE_MAX, RULE_MONTHS_MAX, date_in_window, in_choices, rule_months_validators


class NodeType(models.TextChoices):
    SIGN = "sign", "签约"
    LAND = "land", "供地"
    START = "start", "开工"
    STATISTICS = "statistics", "入库"
    PRODUCTION = "production", "投产"
    CAPACITY = "capacity", "达产"


_NODE_LABELS = dict(NodeType.choices)
NODE_ORDER = [NodeType.SIGN, NodeType.LAND, NodeType.START, NodeType.STATISTICS, NodeType.PRODUCTION,
              NodeType.CAPACITY]


class DeadlineRule(models.Model):
    """How a node's planned date is derived and who owns it by default (section 3).

    Durations and owners are data so that an administrator can change them without a release.
    """

    node_type = models.CharField("节点", max_length=16, choices=NodeType.choices, unique=True)
    after = models.CharField(
        "上一节点",
        max_length=16,
        choices=NodeType.choices,
        blank=True,
        help_text="计划日期从该节点起算；该节点不适用时（如无需新供地）再向前找",
    )
    months = models.PositiveSmallIntegerField("默认间隔（月）", default=0, validators=rule_months_validators)
    default_unit = models.ForeignKey(
        Unit, verbose_name="默认责任单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    use_platform_unit = models.BooleanField(
        "优先由平台负责", default=False, help_text="项目所在平台设有管理单位时，由平台单位负责该节点"
    )

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "节点规则"
        ordering = ["id"]
        constraints = [
            # Bounded so that derived planned dates stay inside Node's window (projects.validation).
            models.CheckConstraint(condition=Q(months__lte=RULE_MONTHS_MAX), name="deadline_rule_months_sane"),
        ]

    def __str__(self):
        return f"{self.get_node_type_display()}：{self.get_after_display() or '—'} 后 {self.months} 个月"


class Node(models.Model):
    # No index of its own: the unique (project, node_type) serves every lookup by project, the
    # cascade's included (issue 12: one index fewer to keep on each of an import's ~58,000 nodes).
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="nodes", db_index=False)
    node_type = models.CharField("节点", max_length=16, choices=NodeType.choices)
    planned_date = models.DateField("计划日期", null=True, blank=True)
    # An agreed date comes from the investment agreement and is never recomputed (section 3).
    planned_is_agreed = models.BooleanField("计划日期来自协议", default=False)
    actual_date = models.DateField("实际日期", null=True, blank=True)
    responsible_unit = models.ForeignKey(
        Unit, verbose_name="责任单位", null=True, blank=True, on_delete=models.PROTECT, related_name="nodes"
    )
    # Set when the node turned red and was escalated (section 7a), so it is escalated once.
    escalated_on = models.DateField("升级督办日期", null=True, blank=True)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "关键节点"
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "node_type"], name="node_one_per_type"),
            models.CheckConstraint(condition=in_choices("node_type", NodeType), name="node_type_valid"),
            # Agreed and actual dates are entered within DATE_MIN..DATE_MAX (projects.validation);
            # a derived planned date may run up to the deadline rules' durations past DATE_MAX.
            models.CheckConstraint(
                condition=date_in_window("planned_date", maximum=NODE_DATE_MAX) & date_in_window("actual_date"),
                name="node_dates_in_window",
            ),
        ]
        indexes = [
            # The overdue and due-soon scans only ever look at nodes not yet done.
            models.Index(fields=["planned_date"], name="node_pending_planned", condition=Q(actual_date__isnull=True)),
            models.Index(fields=["responsible_unit", "planned_date"], name="node_pending_unit",
                         condition=Q(actual_date__isnull=True)),
            # One project's pending nodes by date (its page's overdue and due-soon nodes, the leader
            # report's pending nodes): without it PostgreSQL scans every pending node per project.
            models.Index(fields=["project", "planned_date"], name="node_pending_project",
                         condition=Q(actual_date__isnull=True)),
        ]

    def __str__(self):
        # A dict lookup: get_node_type_display rebuilds its choices on every call, and the import
        # writes this for every node it audits (issue 12).
        return f"{self.project_id}·{_NODE_LABELS.get(self.node_type, self.node_type)}"


class CalendarDay(models.Model):
    """A day that breaks the weekend rule: a statutory holiday on a weekday, or an adjusted working
    Saturday/Sunday (调休上班). Seeded from chinesecalendar; editable because the State Council
    publishes each year's schedule after the package is released (section 6)."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否上班", help_text="勾选：调休上班日；不勾选：法定节假日")
    name = models.CharField("名称", max_length=32, blank=True)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name} {'上班' if self.is_workday else '休息'}"


# --- 要素保障: land, energy and funds for each project (DOMAIN.md section 11) ---------------------
# They live beside the nodes because a need's default needed-by date *is* a node's planned date
# (computed in the query, so it follows every change of the node without a sync step), and its
# 预警 / 逾期未保障 are the same kind of deadline rule as a node's due soon / overdue.


class FactorType(models.TextChoices):
    LAND = "land", "土地"
    ENERGY = "energy", "能耗"
    FUNDS = "funds", "资金"


FACTOR_ORDER = [FactorType.LAND, FactorType.ENERGY, FactorType.FUNDS]
FACTOR_UNITS = {FactorType.LAND: "亩", FactorType.ENERGY: "吨标煤/年", FactorType.FUNDS: "万元"}
# Section 11: the node whose planned date a need follows until its date is set by hand. A land need
# of a project that needs no new land has no land node and follows the start node instead.
FACTOR_NODES = {
    FactorType.LAND: (NodeType.LAND, NodeType.START),
    FactorType.ENERGY: (NodeType.PRODUCTION,),
    FactorType.FUNDS: (NodeType.START,),
}


class FactorRule(models.Model):
    """Who answers for a type of need by default (section 11); data so an administrator can change it."""

    factor_type = models.CharField("要素类型", max_length=8, choices=FactorType.choices, unique=True)
    default_unit = models.ForeignKey(
        Unit, verbose_name="默认责任单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="未设置时由项目责任单位负责",
    )

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "要素保障规则"
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_factor_type_display()}：{self.default_unit or '项目责任单位'}"


class FactorNeed(models.Model):
    """What a project needs of one factor, and how much of it is secured (section 11).

    `secured` is the sum of the need's `FactorSecured` records, kept in the same transaction as each
    record so the lists and totals are plain column arithmetic."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="factor_needs")
    factor_type = models.CharField("要素类型", max_length=8, choices=FactorType.choices)
    needed = models.DecimalField("需求量", max_digits=18, decimal_places=4)
    secured = models.DecimalField("已保障量", max_digits=18, decimal_places=4, default=0)
    # Set by hand; empty = the planned date of the node in FACTOR_NODES.
    needed_by_set = models.DateField("需保障日期（手工设定）", null=True, blank=True)
    responsible_unit = models.ForeignKey(
        Unit, verbose_name="责任单位", null=True, blank=True, on_delete=models.PROTECT, related_name="factor_needs"
    )
    # The needed-by date for which the 逾期未保障 problem was opened: one problem per date.
    problem_opened_for = models.DateField("已转问题的需保障日期", null=True, blank=True)
    problem = models.ForeignKey(
        Problem, verbose_name="协调问题", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "要素需求"
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "factor_type"], name="factor_need_one_per_type"),
            models.CheckConstraint(condition=Q(needed__gt=0), name="factor_need_needed_positive"),
            models.CheckConstraint(condition=Q(secured__gte=0), name="factor_need_secured_not_negative"),
        ]
        indexes = [models.Index(fields=["responsible_unit", "factor_type"], name="factor_need_unit")]

    def __str__(self):
        return f"{self.project_id}·{self.get_factor_type_display()}"

    @property
    def measure(self):
        return FACTOR_UNITS[self.factor_type]


class FactorSecured(models.Model):
    """One increase of a need's secured amount: who, when, how much, by what document. Rows are
    only ever added (the evidence); a wrong one is offset by a correcting row with a negative amount."""

    need = models.ForeignKey(FactorNeed, on_delete=models.PROTECT, related_name="records")
    amount = models.DecimalField("保障量", max_digits=18, decimal_places=4)
    secured_on = models.DateField("保障日期")
    document = models.CharField("依据文件", max_length=200)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "要素保障记录"
        ordering = ["need", "secured_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="factor_secured_amount_not_zero"),
            models.CheckConstraint(condition=~Q(document=""), name="factor_secured_document_given"),
        ]

    def __str__(self):
        return f"{self.need} +{self.amount} {self.secured_on}"
