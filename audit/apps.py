from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "变更记录"

    def ready(self):
        from . import celery_hooks  # noqa: F401  (the Celery hook that names a task's channel)
