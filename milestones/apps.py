from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    name = "milestones"
    verbose_name = "关键节点"

    def ready(self):
        from audit.registry import audit
        from projects.cache import watch

        from .models import Node

        # escalated_on is the escalation job's own bookkeeping.
        audit(Node, exclude=["escalated_on"])
        watch(self)
