from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "项目管理"

    def ready(self):
        from django.db.models.signals import post_migrate

        from audit.registry import audit
        from config.backup import restored

        from .cache import new_version, watch
        from .models import Instruction, Problem, ProblemReply, ProgressNote, Project

        # next_due is derived from the nodes (their own changes are audited), kept by milestones.services.
        audit(Project, exclude=["updated_at", "created_at", "next_due"])
        audit(Problem, exclude=["created_at"])
        audit(ProblemReply, exclude=["at"])
        audit(Instruction, exclude=["at"])
        audit(ProgressNote, exclude=["at"])
        watch(self)
        # Data written around the models (a migration, a restore): the cached aggregates go too.
        post_migrate.connect(lambda **kwargs: new_version(), weak=False, dispatch_uid="cache_after_migrate")
        restored.connect(lambda **kwargs: new_version(), weak=False, dispatch_uid="cache_after_restore")
