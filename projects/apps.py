from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "项目管理"

    def ready(self):
        from audit.registry import audit

        from .cache import watch
        from .models import Instruction, Problem, ProblemReply, ProgressNote, Project

        # next_due is derived from the nodes (their own changes are audited), kept by milestones.services.
        audit(Project, exclude=["updated_at", "created_at", "next_due"])
        audit(Problem, exclude=["created_at"])
        audit(ProblemReply, exclude=["at"])
        audit(Instruction, exclude=["at"])
        audit(ProgressNote, exclude=["at"])
        watch(self)
