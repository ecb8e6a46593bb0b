"""Targets and thresholds of the "1330" goal (DOMAIN.md section 5), kept as data an administrator edits.

Nothing here is a constant in code: the migration seeds 40 and 1 for 2025–2030 and the 1亿/10亿
thresholds; the admin changes them without a release.
"""

from django.core.validators import MinValueValidator
from django.db import models

from projects.models import AMOUNT_UNIT_LABEL, Currency, Platform


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

    class Meta:
        verbose_name = verbose_name_plural = "计入门槛"
        ordering = ["level", "currency"]
        constraints = [models.UniqueConstraint(fields=["level", "currency"], name="threshold_one_per_level_currency")]

    def __str__(self):
        return f"{self.get_level_display()}：≥{self.min_amount.normalize():f}{AMOUNT_UNIT_LABEL[self.currency]}"


class YearTarget(models.Model):
    """The city's target counts for a calendar year (每年40个、1个)."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    target_100m = models.PositiveIntegerField("亿元以上制造业项目目标（个）")
    target_1b = models.PositiveIntegerField("10亿元以上制造业项目目标（个）")

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

    class Meta:
        verbose_name = verbose_name_plural = "平台任务分解"
        ordering = ["-year", "platform__name"]
        constraints = [models.UniqueConstraint(fields=["year", "platform"], name="platform_target_one_per_year")]

    def __str__(self):
        return f"{self.year} 年 {self.platform}：{self.target_100m} / {self.target_1b}"
