"""Admin for the 1330 targets and thresholds (DOMAIN.md section 5: data, not constants)."""

from django.contrib import admin

from projects.models import Threshold

from .models import PlatformTarget, YearTarget


@admin.register(YearTarget)
class YearTargetAdmin(admin.ModelAdmin):
    list_display = ["year", "target_100m", "target_1b"]
    list_editable = ["target_100m", "target_1b"]


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = ["level", "currency", "min_amount"]
    list_editable = ["min_amount"]


@admin.register(PlatformTarget)
class PlatformTargetAdmin(admin.ModelAdmin):
    list_display = ["year", "platform", "target_100m", "target_1b"]
    list_editable = ["target_100m", "target_1b"]
    list_filter = ["year"]
    autocomplete_fields = ["platform"]
