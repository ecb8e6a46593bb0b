from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "变更记录"

    def ready(self):
        from . import celery_hooks, registry  # noqa: F401  (the audited models and the Celery hook)
