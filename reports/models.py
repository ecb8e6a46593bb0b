"""Targets of the "1330" goal (DOMAIN.md section 5), kept as data an administrator edits.

Nothing here is a constant in code: the migration seeds 40 and 1 for 2025–2030; the admin changes
them without a release. The thresholds that make a project 亿元以上 or 10亿元以上 are the deal's own
classification (projects.models.Threshold), which the 台账 filters by too.
"""

from django.db import models

from projects.cache import VersionedQuerySet
from projects.models import Platform


class YearTarget(models.Model):
    """The city's target counts for a calendar year (每年40个、1个)."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    target_100m = models.PositiveIntegerField("亿元以上制造业项目目标（个）")
    target_1b = models.PositiveIntegerField("10亿元以上制造业项目目标（个）")

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "年度目标"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year} 年：{self.target_100m} / {self.target_1b}"


class PlatformTarget(models.Model):
    """A platform's share of a year's targets (任务分解)."""

    year = models.PositiveSmallIntegerField("年度")
    platform = models.ForeignKey(Platform, verbose_name="平台", on_delete=models.CASCADE, related_name="targets")
    target_100m = models.PositiveIntegerField("亿元以上制造业项目目标（个）", default=0)
    target_1b = models.PositiveIntegerField("10亿元以上制造业项目目标（个）", default=0)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "平台任务分解"
        ordering = ["-year", "platform__name"]
        constraints = [models.UniqueConstraint(fields=["year", "platform"], name="platform_target_one_per_year")]

    def __str__(self):
        return f"{self.year} 年 {self.platform}：{self.target_100m} / {self.target_1b}"
