from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "统计报表"

    def ready(self):
        from projects.cache import watch

        # Targets and thresholds are inputs of the 1330 progress the cache keeps (projects.cache).
        watch(self)
